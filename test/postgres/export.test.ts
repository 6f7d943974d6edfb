// `cairn export` of a PostgreSQL store: the same snapshot folder a SQLite
// store writes, every value exact, on a real server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readManifest, verifySnapshotFiles } from '../../dist/snapshot/index.js';
import { cliWith, readRows, scratchApp } from '../helpers.js';
import { pgQuery, startPostgres, type TestServer } from './server.js';

let server: TestServer;

const SCHEMA = `CREATE TABLE kinds (id bigint PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE vals (
  id bigint PRIMARY KEY,
  kind_id bigint REFERENCES kinds (id),
  i8 bigint, f8 double precision, f4 real, num numeric(30, 10), flag boolean,
  body text, data bytea, doc jsonb, at timestamptz, day date, tags text[],
  half bigint GENERATED ALWAYS AS (i8 / 2) STORED
);
CREATE TABLE bag (label text, n integer);
`;

const ROWS = `INSERT INTO kinds VALUES (1, 'first'), (2, 'second');
INSERT INTO vals (id, kind_id, i8, f8, f4, num, flag, body, data, doc, at, day, tags) VALUES
  (1, 1, 9223372036854775807, 1, 0.1, 123.45, true, 'emoji 🚀 "quoted" \\ back', '\\x00ff', '{"b": [1, 2], "a": null}', '2026-11-23 10:00:00+01', '2026-02-28', '{a,"b c"}'),
  (2, 2, -9223372036854775808, '-0', 1.5, 0.0000000001, false, E'tab\\there\\nnewline', '', '"just a string"', '1970-01-01 00:00:00+00', NULL, '{}'),
  (3, NULL, 0, 'Infinity', '-Infinity', 99999999999999999999.9999999999, NULL, '', NULL, NULL, NULL, NULL, NULL),
  (4, NULL, NULL, 5e-324, NULL, -1, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (5, NULL, NULL, 1e300, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (6, NULL, NULL, 0.30000000000000004, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO bag VALUES ('z', 1), ('a', 2), ('a', 1), (NULL, NULL);
`;

async function app(): Promise<{ dir: string; env: NodeJS.ProcessEnv; url: string }> {
  const { dir, config } = scratchApp({});
  const migrations = path.join(dir, 'migrations', 'shared.pg');
  fs.mkdirSync(migrations, { recursive: true });
  fs.writeFileSync(path.join(migrations, '00001_schema.sql'), SCHEMA);
  fs.writeFileSync(
    config,
    JSON.stringify({ stores: { shared: { engine: 'postgres', url: '${SHARED_URL}', schema: 'shared', migrations: 'migrations/shared.pg' } } }),
  );
  const url = server.url(await server.createDatabase());
  const env = { ...process.env, SHARED_URL: url };
  assert.equal((await cliWith({ cwd: dir, env }, 'migrate')).code, 0);
  await pgQuery(url, `SET search_path = shared; ${ROWS}`);
  return { dir, env, url };
}

const lines = (file: string) => fs.readFileSync(file, 'utf8').trimEnd().split('\n');

describe('cairn export of a PostgreSQL store', () => {
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  it('writes every value exactly, in key order, parents first, with a manifest the snapshot tools read', async () => {
    const a = await app();
    const r = await cliWith({ cwd: a.dir, env: a.env }, 'export', '--store', 'shared', '--out', 'snap', '--json');
    assert.equal(r.code, 0, r.stderr);
    const snap = path.join(a.dir, 'snap');
    const manifest = readManifest(snap);
    verifySnapshotFiles(snap, manifest);
    assert.equal(manifest.engine, 'postgres');
    assert.match(manifest.serverVersion ?? '', /^\d+/);
    assert.equal(manifest.schemaVersion, 1);
    assert.ok(!JSON.stringify(manifest).includes(new URL(a.url).password), 'no password in the manifest');
    assert.deepEqual(
      manifest.tables.map((t) => t.name),
      ['bag', 'kinds', 'vals'],
      'parents before children',
    );
    const vals = manifest.tables.find((t) => t.name === 'vals')!;
    assert.deepEqual(
      vals.columns.map((c) => `${c.name}:${c.type}:${c.pk}`),
      [
        'id:bigint:1',
        'kind_id:bigint:0',
        'i8:bigint:0',
        'f8:double precision:0',
        'f4:real:0',
        'num:numeric(30,10):0',
        'flag:boolean:0',
        'body:text:0',
        'data:bytea:0',
        'doc:jsonb:0',
        'at:timestamp with time zone:0',
        'day:date:0',
        'tags:text[]:0',
      ],
      'the generated column is left out: a restore computes it',
    );
    assert.deepEqual(lines(path.join(snap, vals.file)), [
      '[1,1,9223372036854775807,1.0,0.1,123.4500000000,1,"emoji 🚀 \\"quoted\\" \\\\ back",{"$base64":true,"encoded":"AP8="},"{\\"a\\": null, \\"b\\": [1, 2]}","2026-11-23 09:00:00+00","2026-02-28","{a,\\"b c\\"}"]',
      '[2,2,-9223372036854775808,-0.0,1.5,0.0000000001,0,"tab\\there\\nnewline",{"$base64":true,"encoded":""},"\\"just a string\\"","1970-01-01 00:00:00+00",null,"{}"]',
      '[3,null,0,9.0e+999,-9.0e+999,99999999999999999999.9999999999,null,"",null,null,null,null,null]',
      '[4,null,null,5e-324,null,-1.0000000000,null,null,null,null,null,null,null]',
      '[5,null,null,1e+300,null,null,null,null,null,null,null,null,null]',
      '[6,null,null,0.30000000000000004,null,null,null,null,null,null,null,null,null]',
    ]);
    for (const line of lines(path.join(snap, vals.file))) JSON.parse(line);
    assert.deepEqual(lines(path.join(snap, 'bag.jsonl')), ['["a",1]', '["a",2]', '["z",1]', '[null,null]'], 'a table without a key: byte order of the lines');
  });

  it('refuses a NaN, naming the table, column and key, and writes nothing', async () => {
    const a = await app();
    await pgQuery(a.url, "UPDATE shared.vals SET f8 = 'NaN' WHERE id = 4");
    const r = await cliWith({ cwd: a.dir, env: a.env }, 'export', '--store', 'shared', '--out', 'snap');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /vals\.f8 holds NaN \(row with key 4\)/);
    assert.equal(fs.existsSync(path.join(a.dir, 'snap', 'manifest.json')), false);
  });

  it('a PostgreSQL snapshot restores into a SQLite store with the same tables and verifies by value; a number SQLite cannot hold is reported by line', async () => {
    const a = await app();
    assert.equal((await cliWith({ cwd: a.dir, env: a.env }, 'export', '--store', 'shared', '--out', 'snap')).code, 0);
    const local = scratchApp({
      state: {
        '00001_schema.sql': `CREATE TABLE kinds (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE vals (id INTEGER PRIMARY KEY, kind_id INTEGER REFERENCES kinds (id), i8 INTEGER, f8 REAL, f4 REAL, num NUMERIC, flag INTEGER,
  body TEXT, data BLOB, doc TEXT, at TEXT, day TEXT, tags TEXT, half INTEGER GENERATED ALWAYS AS (i8 / 2) STORED);
CREATE TABLE bag (label TEXT, n INTEGER);
`,
      },
    });
    const snap = path.join(a.dir, 'snap');
    // 99999999999999999999.9999999999 has more digits than SQLite's REAL keeps: the verify after the restore says so, by line.
    const lossy = await cliWith({ cwd: local.dir }, 'restore', '--from', snap, '--store', 'state', '--target', 'copy.sqlite', '--json');
    assert.notEqual(lossy.code, 0);
    const report = JSON.parse(lossy.stdout);
    assert.deepEqual(
      report.verification.tables
        .filter((t: { equal: boolean }) => !t.equal)
        .map((t: { table: string; firstDifference: { line: number } }) => [t.table, t.firstDifference.line]),
      [['vals', 3]],
    );
    await pgQuery(a.url, 'UPDATE shared.vals SET num = 12345.678 WHERE id = 3');
    assert.equal((await cliWith({ cwd: a.dir, env: a.env }, 'export', '--store', 'shared', '--out', 'snap', '--force')).code, 0);
    const restored = await cliWith({ cwd: local.dir }, 'restore', '--from', snap, '--store', 'state', '--target', 'copy.sqlite', '--force');
    assert.equal(restored.code, 0, restored.stderr + restored.stdout);
    assert.match(restored.stdout, /the snapshot is of store shared \(postgres\); restored into store state/);
    const file = path.join(local.dir, 'copy.sqlite');
    assert.deepEqual(
      readRows(file, 'SELECT id, f8, typeof(f8) AS t, flag, hex(data) AS data, doc, at, half = i8 / 2 AS computed FROM vals WHERE id <= 2 ORDER BY id'),
      [
        { id: 1, f8: 1, t: 'real', flag: 1, data: '00FF', doc: '{"a": null, "b": [1, 2]}', at: '2026-11-23 09:00:00+00', computed: 1 },
        // A REAL column stores -0.0 as 0 (see snapshots.md); equal under the column's type.
        { id: 2, f8: 0, t: 'real', flag: 0, data: '', doc: '"just a string"', at: '1970-01-01 00:00:00+00', computed: 1 },
      ],
    );
    assert.deepEqual(readRows(file, 'SELECT i8 = 9223372036854775807 AS exact FROM vals WHERE id = 1'), [{ exact: 1 }]);
    assert.deepEqual(readRows(file, 'SELECT i8 = -9223372036854775807 - 1 AS exact FROM vals WHERE id = 2'), [{ exact: 1 }]);
    assert.deepEqual(readRows(file, 'SELECT f8 = 5e-324 AS tiny, (SELECT f8 FROM vals WHERE id = 3) > 1e308 AS inf FROM vals WHERE id = 4'), [
      { tiny: 1, inf: 1 },
    ]);
  });
});
