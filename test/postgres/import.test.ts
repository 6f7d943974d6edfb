// `cairn import` into a PostgreSQL store, on a real server: the same plans,
// counts, rejects and idempotency as on SQLite, values exact.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { BIN, cliWith } from '../helpers.js';
import { CHAIN_PLAN, chainData, DIST_INDEX, readRejects, writeLegacy, type ChainData } from '../importers/helpers.js';
import { mixedServerApp, pgQuery, startPostgres, type TestServer } from './server.js';

let server: TestServer;

const PG_CHAIN = {
  '0001_zones.sql': 'CREATE TABLE zones (id text PRIMARY KEY, name text NOT NULL);\n',
  '0002_rooms.sql': 'CREATE TABLE rooms (id text PRIMARY KEY, zone_id text NOT NULL REFERENCES zones (id), floor integer NOT NULL CHECK (floor >= 0));\n',
  '0003_items.sql': 'CREATE TABLE items (room_id text NOT NULL REFERENCES rooms (id), n integer NOT NULL, label text NOT NULL, PRIMARY KEY (room_id, n));\n',
};

interface PgApp {
  dir: string;
  env: NodeJS.ProcessEnv;
  url: string;
  legacy: string;
}

/** The SQLite import tests' chain app, its `site` store on the server. */
async function chainApp(data: ChainData = chainData(), plan = CHAIN_PLAN, files: Record<string, string> = PG_CHAIN): Promise<PgApp> {
  const app = await mixedServerApp(server, { state: { '00001_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY);\n' }, store: 'site', files });
  const config = path.join(app.dir, 'cairn.config.json');
  const cfg = JSON.parse(fs.readFileSync(config, 'utf8'));
  cfg.imports = { chain: 'plans/chain.mjs' };
  fs.writeFileSync(config, JSON.stringify(cfg, null, 2));
  fs.mkdirSync(path.join(app.dir, 'plans'));
  fs.writeFileSync(path.join(app.dir, 'plans', 'chain.mjs'), plan);
  const legacy = path.join(app.dir, 'legacy');
  writeLegacy(legacy, data);
  return { ...app, legacy };
}

const importCli = (app: PgApp, ...argv: string[]) => cliWith({ cwd: app.dir, env: app.env }, 'import', 'chain', '--from', app.legacy, ...argv);
const rows = (app: PgApp, sql: string) => pgQuery(app.url, sql);

/** Every table of the store's schema, rows in key order. */
async function dumpPg(app: PgApp): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of ['zones', 'rooms', 'items']) out[t] = await rows(app, `SELECT * FROM site.${t} ORDER BY 1, 2`);
  return out;
}

describe('cairn import into a PostgreSQL store', () => {
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  it('writes parents before children, reports the same counts as on SQLite, and a re-run writes nothing new', async () => {
    const app = await chainApp();
    const first = await importCli(app, '--json');
    assert.equal(first.code, 0, first.stderr + first.stdout);
    const s1 = JSON.parse(first.stdout);
    assert.deepEqual(Object.keys(s1.tables), ['zones', 'rooms', 'items'], 'tables reported in foreign-key order');
    assert.deepEqual(s1.tables.zones, { inserted: 2, alreadyPresent: 0, updated: 0, rejected: 0 });
    assert.deepEqual(s1.tables.rooms, { inserted: 3, alreadyPresent: 0, updated: 0, rejected: 0 });
    assert.deepEqual(s1.tables.items, { inserted: 12, alreadyPresent: 0, updated: 0, rejected: 0 });
    assert.match(s1.file, /schema site$/);
    assert.doesNotMatch(s1.file, /cairn-test-secret/, 'the password is never printed');
    assert.equal(s1.rejectsFile, null);
    const before = await dumpPg(app);
    assert.equal(before.items!.length, 12);

    const second = await importCli(app, '--json');
    assert.equal(second.code, 0, second.stderr);
    const s2 = JSON.parse(second.stdout);
    for (const table of ['zones', 'rooms', 'items']) {
      assert.equal(s2.tables[table].inserted, 0, `${table}: nothing new on the re-run`);
      assert.equal(s2.tables[table].alreadyPresent, s1.tables[table].inserted, `${table}: every row reported as already present`);
    }
    assert.deepEqual(await dumpPg(app), before);
    const human = await importCli(app);
    assert.match(human.stdout, /nothing new: all 17 rows already present/);
  });

  it('what an import reports written survives the server crashing right after it ends (its batches commit without waiting for the flush)', async () => {
    // The WAL writer then flushes only every 10 s: a batch committed without waiting is lost in a crash unless the end waited.
    await pgQuery(server.url(), "ALTER SYSTEM SET wal_writer_delay = '10s'");
    await pgQuery(server.url(), 'SELECT pg_reload_conf()');
    try {
      const app = await chainApp();
      const r = await importCli(app, '--json');
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const written = await dumpPg(app);
      assert.equal(written.items!.length, 12);
      await server.crashAndRestart();
      assert.deepEqual(await dumpPg(app), written);
    } finally {
      await pgQuery(server.url(), 'ALTER SYSTEM RESET wal_writer_delay');
      await pgQuery(server.url(), 'SELECT pg_reload_conf()');
    }
  });

  it("bad input and rows the server refuses go to the rejects file with file, line and the server's reason; the rest goes in; exit 1", async () => {
    const data = chainData(3, 4);
    data.zones.z3 = { name: 'broken', explode: true }; // the mapper throws
    data.zones.z1!.rooms!.push({ id: 'r-neg', floor: -1 }); // CHECK constraint
    data.items.r1 = '{"n": 1, "label": "ok"}\n{"n": 2, "label": oops}\n{"n": 3, "label": "ok"}\n'; // malformed line
    data.items.r2 = '{"n": 1, "label": "ok"}\n{"n": 2}\n{"n": 3, "label": "nul \\u0000 inside"}\n{"n": "four", "label": "not a number"}\n';
    data.items['r-ghost'] = '{"n": 1, "label": "no such room"}\n'; // foreign key: no parent anywhere
    const app = await chainApp(data);

    const r = await importCli(app, '--json');
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const s = JSON.parse(r.stdout);
    assert.ok(s.rejectsFile, r.stdout);
    const rejects = readRejects(s.rejectsFile);
    const find = (pred: (x: Record<string, unknown>) => boolean, what: string) => {
      const hit = rejects.find(pred);
      assert.ok(hit, `${what} in ${JSON.stringify(rejects, null, 1)}`);
      return hit;
    };
    find((x) => String(x.file).endsWith('r1.jsonl') && x.line === 2 && /malformed JSON/.test(String(x.reason)), 'malformed line');
    find((x) => x.key === 'z3' && /map threw/.test(String(x.reason)), 'mapper throw');
    find((x) => x.table === 'rooms' && /check constraint/.test(String(x.reason)) && (x.row as { id: string }).id === 'r-neg', 'CHECK violation');
    find(
      (x) => x.table === 'items' && String(x.file).endsWith('r2.jsonl') && x.line === 2 && /null value in column "label"/.test(String(x.reason)),
      'NOT NULL',
    );
    find((x) => x.table === 'items' && x.line === 3 && /column label: PostgreSQL text cannot hold the NUL character/.test(String(x.reason)), 'NUL');
    find((x) => x.table === 'items' && x.line === 4 && /invalid input syntax for type integer: "four"/.test(String(x.reason)), 'bad integer');
    find((x) => x.table === 'items' && /FOREIGN KEY/.test(String(x.reason)) && String(x.file).endsWith('r-ghost.jsonl'), 'orphan row');
    assert.equal(s.rejected, 7);
    assert.deepEqual(s.tables.items, { inserted: 7, alreadyPresent: 0, updated: 0, rejected: 4 });
    const [count] = await rows(app, 'SELECT (SELECT count(*) FROM site.items)::int AS items, (SELECT count(*) FROM site.rooms)::int AS rooms');
    assert.deepEqual(count, { items: 7, rooms: 3 }); // r1: lines 1 and 3; r2: line 1; r3: all four
  });

  it('a child read before its parent is held back and goes in once the parent arrives', async () => {
    // Items come first in the plan; here a room's zone is in a second zones file read after every item.
    const plan = CHAIN_PLAN.replace("zones: source.json('zones.json', { each: 'zones' }),", "zones: source.json('zones*.json', { each: 'zones' }),");
    const app = await chainApp(chainData(2, 2), plan);
    fs.writeFileSync(path.join(app.legacy, 'zones2.json'), JSON.stringify({ zones: { z9: { name: 'late', rooms: [{ id: 'r9', floor: 9 }] } } }));
    fs.writeFileSync(path.join(app.legacy, 'items', 'r9.jsonl'), '{"n": 1, "label": "early child"}\n');
    const r = await importCli(app, '--json');
    assert.equal(r.code, 0, r.stdout);
    const [row] = await rows(app, "SELECT label FROM site.items WHERE room_id = 'r9'");
    assert.deepEqual(row, { label: 'early child' });
  });

  it('--mode upsert updates rows whose values changed and counts the rest as already present', async () => {
    const app = await chainApp();
    assert.equal((await importCli(app)).code, 0);
    const data = chainData();
    data.zones.z1!.name = 'north-renamed';
    writeLegacy(app.legacy, data);
    const insert = JSON.parse((await importCli(app, '--json')).stdout);
    assert.deepEqual(insert.tables.zones, { inserted: 0, alreadyPresent: 2, updated: 0, rejected: 0 }, 'insert mode never overwrites');
    const upsert = JSON.parse((await importCli(app, '--mode', 'upsert', '--json')).stdout);
    assert.deepEqual(upsert.tables.zones, { inserted: 0, alreadyPresent: 1, updated: 1, rejected: 0 });
    assert.deepEqual(upsert.tables.items, { inserted: 0, alreadyPresent: 12, updated: 0, rejected: 0 });
    assert.deepEqual(await rows(app, "SELECT name FROM site.zones WHERE id = 'z1'"), [{ name: 'north-renamed' }]);
  });

  it('--dry-run runs every check on the server and leaves the store as it was', async () => {
    const app = await chainApp();
    const data = chainData();
    data.items.r1 += '{"n": 99}\n';
    writeLegacy(app.legacy, data);
    const dry = await importCli(app, '--dry-run', '--json');
    assert.equal(dry.code, 1, 'exit code matches what a real run would return');
    const d = JSON.parse(dry.stdout);
    assert.equal(d.tables.items.inserted, 12);
    assert.equal(d.tables.items.rejected, 1, 'the NOT NULL refusal came from the server');
    assert.deepEqual(await rows(app, 'SELECT count(*)::int AS n FROM site.items'), [{ n: 0 }]);
  });

  it('a key twice in one batch: the first wins and the second counts as already present, as on SQLite', async () => {
    const plan = `
import { defineImport, source } from ${JSON.stringify(DIST_INDEX)};
export default defineImport({
  target: 'site',
  sources: { v: source.jsonl('values.jsonl') },
  batchSize: 3,
  map: ({ value }) => ({ rows: { kv: { k: value.k, v: value.v } } }),
});
`;
    const app = await chainApp(chainData(), plan, { '0001_kv.sql': 'CREATE TABLE kv (k integer PRIMARY KEY, v text NOT NULL);\n' });
    // Batches of three: all new (straight in), then a repeat inside the batch, then all new again.
    const lines = [1, 2, 3, 4, 5, 4, 6, 7, 8].map((k, i) => JSON.stringify({ k, v: `line ${i + 1}` }));
    fs.writeFileSync(path.join(app.legacy, 'values.jsonl'), lines.join('\n') + '\n');
    const r = await importCli(app, '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).tables.kv, { inserted: 8, alreadyPresent: 1, updated: 0, rejected: 0 });
    assert.deepEqual(await rows(app, 'SELECT v FROM site.kv WHERE k = 4'), [{ v: 'line 4' }]);
    const again = JSON.parse((await importCli(app, '--json')).stdout);
    assert.deepEqual(again.tables.kv, { inserted: 0, alreadyPresent: 9, updated: 0, rejected: 0 });
  });

  it('values arrive exact: 64-bit integers, -0, subnormals, infinities, bytes, every Unicode plane, JSON; serial ids move the sequence', async () => {
    const plan = `
import { defineImport, source } from ${JSON.stringify(DIST_INDEX)};
export default defineImport({
  target: 'site',
  sources: { v: source.jsonl('values.jsonl') },
  map: ({ value }) => ({ rows: { vals: {
    id: value.id, big: BigInt(value.big), f: value.f === 'neg0' ? -0 : value.f === 'inf' ? -Infinity : value.f,
    bytes: value.hex === undefined ? null : Buffer.from(value.hex, 'hex'), t: value.t, doc: value.doc, flag: value.flag,
  } } }),
});
`;
    const files = {
      '0001_vals.sql': 'CREATE TABLE vals (id serial PRIMARY KEY, big bigint, f double precision, bytes bytea, t text, doc jsonb, flag boolean);\n',
    };
    const app = await chainApp(chainData(), plan, files);
    const lines = [
      { id: 1, big: '9223372036854775807', f: 'neg0', hex: '00ff10', t: 'tab\there\nnewline \\ back', doc: { a: [1, { b: null }] }, flag: true },
      { id: 2, big: '-9223372036854775808', f: 5e-324, hex: '', t: '𝄞 astral, 中文, emoji 🎉', doc: [1, 'two'], flag: false },
      { id: 3, big: '0', f: 'inf', t: '', doc: null },
      { id: 4, big: '1', f: 0.1, t: '\\N is not null' },
    ];
    fs.writeFileSync(path.join(app.legacy, 'values.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const r = await importCli(app, '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const got = await rows(app, "SELECT id, big::text, f::text, encode(bytes, 'hex') AS hex, t, doc::text, flag FROM site.vals ORDER BY id");
    assert.deepEqual(got, [
      { id: 1, big: '9223372036854775807', f: '-0', hex: '00ff10', t: 'tab\there\nnewline \\ back', doc: '{"a": [1, {"b": null}]}', flag: true },
      { id: 2, big: '-9223372036854775808', f: '5e-324', hex: '', t: '𝄞 astral, 中文, emoji 🎉', doc: '[1, "two"]', flag: false },
      { id: 3, big: '0', f: '-Infinity', hex: null, t: '', doc: null, flag: null },
      { id: 4, big: '1', f: '0.1', hex: null, t: '\\N is not null', doc: null, flag: null },
    ]);
    // The app's next insert takes an id past the imported ones instead of colliding with id 1.
    const [next] = await rows(app, "INSERT INTO site.vals (t) VALUES ('from the app') RETURNING id");
    assert.deepEqual(next, { id: 5 });
  });

  it('a first import killed between two migrations of a fresh schema is finished by the plain re-run; a store merely behind still needs --migrate', async () => {
    const slow = { ...PG_CHAIN, '0002_rooms.sql': `SELECT pg_sleep(5);\n${PG_CHAIN['0002_rooms.sql']}` };
    const app = await chainApp(chainData(), CHAIN_PLAN, slow);
    await rows(app, 'DROP SCHEMA site CASCADE');
    const child = spawn(process.execPath, [BIN, 'import', 'chain', '--from', app.legacy], { cwd: app.dir, env: app.env, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Killed once the first migration is in and the second one is running.
    for (let i = 0; i < 200; i++) {
      const [present] = await rows(app, "SELECT to_regclass('site.cairn_migrations') IS NOT NULL AS ok");
      if ((present as { ok: boolean }).ok && (await rows(app, 'SELECT 1 FROM site.cairn_migrations')).length === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await exited;
    assert.deepEqual(await rows(app, 'SELECT version FROM site.cairn_migrations'), [{ version: '1' }], 'killed between the migrations');

    const again = await importCli(app, '--json');
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.equal(JSON.parse(again.stdout).created, true);
    assert.equal((await rows(app, 'SELECT count(*)::int AS n FROM site.items'))[0]!['n' as never], 12);
    assert.deepEqual(await rows(app, "SELECT key FROM site.cairn_meta WHERE key = 'creating'"), [], 'the creation is finished');

    // A store that is only behind (a new release's file) is still refused without --migrate.
    fs.writeFileSync(path.join(app.dir, 'migrations', 'site.pg', '0004_tags.sql'), 'CREATE TABLE tags (name text PRIMARY KEY);\n');
    const behind = await importCli(app);
    assert.equal(behind.code, 2);
    assert.match(behind.stderr, /pass --migrate/);
  });
});
