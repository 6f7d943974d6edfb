import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { readLines } from '../../dist/importers/read-lines.js';
import { toSqlValues } from '../../dist/importers/produce.js';
import { foreignKeyOrder, readTables } from '../../dist/sqlite/schema-info.js';
import { openDatabase } from '../../dist/sqlite/open.js';
import { tempDir } from '../helpers.js';

function linesOf(bytes: Buffer) {
  const file = path.join(tempDir(), 'f.jsonl');
  fs.writeFileSync(file, bytes);
  return [...readLines(file)];
}

describe('readLines', () => {
  it('numbers lines as an editor does, skipping blank ones; strips CRLF and a BOM', () => {
    const lines = linesOf(Buffer.from('\uFEFF{"a":1}\r\n\r\n  \n{"b":2}\n'));
    assert.deepEqual(
      lines.map((l) => [l.number, l.text, l.unterminated]),
      [
        [1, '{"a":1}', false],
        [4, '{"b":2}', false],
      ],
    );
    assert.equal(lines.at(-1)!.end, Buffer.byteLength('\uFEFF{"a":1}\r\n\r\n  \n{"b":2}\n'));
  });

  it('flags an unterminated last line and keeps bytes that are not UTF-8', () => {
    const lines = linesOf(Buffer.concat([Buffer.from('ok\n'), Buffer.from([0x61, 0xff, 0x62, 0x0a]), Buffer.from('a real \uFFFD is fine\nlast')]));
    assert.deepEqual(
      lines.map((l) => [l.number, l.raw?.toString('hex') ?? null, l.unterminated]),
      [
        [1, null, false],
        [2, '61ff62', false],
        [3, null, false],
        [4, null, true],
      ],
    );
  });

  it('resumes at a recorded line end with numbers continuing, and reads what was appended since', () => {
    const file = path.join(tempDir(), 'grow.jsonl');
    fs.writeFileSync(file, '\uFEFF{"a":1}\n\n{"b":2}\n');
    const first = [...readLines(file)];
    const mark = first.at(-1)!;
    fs.appendFileSync(file, '{"c":3}\r\n\uFEFFx\n');
    const rest = [...readLines(file, { start: mark.end, startLine: mark.number })];
    // The BOM is stripped only at the start of the file: mid-file it is data.
    assert.deepEqual(
      rest.map((l) => [l.number, l.text]),
      [
        [4, '{"c":3}'],
        [5, '\uFEFFx'],
      ],
    );
    assert.equal(rest.at(-1)!.end, fs.statSync(file).size);
    assert.deepEqual([...readLines(file, { start: fs.statSync(file).size })], []);
  });

  it('a line longer than the read buffer comes out whole', () => {
    const long = 'x'.repeat(3 * 1024 * 1024);
    const lines = linesOf(Buffer.from(`a\n${long}\nb\n`));
    assert.deepEqual(
      lines.map((l) => l.text.length),
      [1, long.length, 1],
    );
  });
});

describe('foreign-key order', () => {
  it('puts parents before children whatever the names, and survives a cycle and a self-reference', () => {
    const db = openDatabase(path.join(tempDir(), 'fk.sqlite'));
    db.exec(`
      CREATE TABLE a_child (id INTEGER PRIMARY KEY, m_id INTEGER REFERENCES m_middle (id));
      CREATE TABLE m_middle (id INTEGER PRIMARY KEY, z_id INTEGER REFERENCES z_root (id));
      CREATE TABLE z_root (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES z_root (id));
      CREATE TABLE p (id INTEGER PRIMARY KEY, q_id INTEGER REFERENCES q (id));
      CREATE TABLE q (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id));
    `);
    const order = foreignKeyOrder(readTables(db));
    assert.ok(order.indexOf('z_root') < order.indexOf('m_middle'));
    assert.ok(order.indexOf('m_middle') < order.indexOf('a_child'));
    assert.deepEqual([...order].sort(), ['a_child', 'm_middle', 'p', 'q', 'z_root']);
    db.close();
  });

  it('leaves cairn and SQLite tables out', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE cairn_migrations (v INTEGER); CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT);');
    const tables = readTables({ prepare: (sql: string) => db.prepare(sql) } as never);
    assert.deepEqual([...tables.keys()], ['t']);
    db.close();
  });
});

describe('toSqlValues', () => {
  it('stores objects as JSON, booleans as 0/1, Dates as ISO text, and drops undefined', () => {
    assert.deepEqual(toSqlValues({ a: { x: [1] }, b: true, c: new Date(0), d: undefined, e: 10n, f: null }), {
      a: '{"x":[1]}',
      b: 1,
      c: '1970-01-01T00:00:00.000Z',
      e: 10n,
      f: null,
    });
  });

  it('refuses values SQLite would lose or cannot take, naming the column', () => {
    assert.match(String(toSqlValues({ n: Number.NaN })), /column n: NaN cannot be stored/);
    assert.match(String(toSqlValues({ f: () => 1 })), /column f: a function cannot be stored/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.match(String(toSqlValues({ c: cyclic })), /column c: the object cannot be stored as JSON/);
  });
});

describe('runImport with a plan object (no worker)', () => {
  it('imports on the calling thread and reports the same summary shape', async () => {
    const { defineStores, runImport, defineImport, source } = await import('../../dist/index.js');
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'migrations'));
    fs.writeFileSync(path.join(dir, 'migrations', '0001_notes.sql'), 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, data BLOB);\n');
    fs.writeFileSync(path.join(dir, 'notes.jsonl'), '{"id": 1, "body": "a"}\n{"id": 2, "body": null}\n{"id": 3, "body": "c"}\n');
    const registry = defineStores({ home: dir, stores: { s: { file: 's.sqlite', migrations: 'migrations' } } }, { root: dir });
    const plan = defineImport({
      target: 's',
      sources: { notes: source.jsonl('notes.jsonl') },
      map: ({ value }) => ({ rows: { notes: { ...(value as object), data: new Uint8Array([0, 1, 2]) } } }),
    });
    const summary = await runImport(registry, { plan, rejectsFile: path.join(dir, 'rejects.jsonl') });
    assert.deepEqual(summary.tables.notes, { inserted: 2, alreadyPresent: 0, updated: 0, rejected: 1 });
    assert.equal(summary.rejectsFile, path.join(dir, 'rejects.jsonl'));
    const db = new Database(path.join(dir, 's.sqlite'), { readonly: true });
    assert.deepEqual(db.prepare('SELECT data FROM notes WHERE id = 1').pluck().get(), Buffer.from([0, 1, 2]));
    db.close();
    const reject = JSON.parse(fs.readFileSync(path.join(dir, 'rejects.jsonl'), 'utf8'));
    assert.deepEqual(reject.row, { id: 2, body: null, data: { base64: 'AAEC' } });
  });
});
