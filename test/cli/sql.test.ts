// `cairn sql` through the CLI: one statement on a store by name, read-only
// unless --write, parameters bound (never pasted), a table or JSON out, the
// statement's own mistakes exit 64; with no query, the store's shell.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cli, readRows, scratchApp, spawnCli, tempDir } from '../helpers.js';

const NOTES =
  "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, tag TEXT, data BLOB);\nINSERT INTO notes (body, tag, data) VALUES ('first', 'a', x'00ff'), ('second\nline', NULL, NULL);\n";

async function notesApp(): Promise<{ dir: string; db: string }> {
  const { dir } = scratchApp({ state: { '0001_notes.sql': NOTES }, logs: { '0001_logs.sql': 'CREATE TABLE logs (id INTEGER PRIMARY KEY);\n' } });
  assert.equal((await cli(dir, 'migrate')).code, 0);
  return { dir, db: path.join(dir, 'state.sqlite') };
}

describe('cairn sql', () => {
  it('reads a store by name: a table with NULLs, blobs, one line per row, and columns that share a name', async () => {
    const { dir } = await notesApp();
    const r = await cli(dir, 'sql', 'state', 'SELECT a.id, b.id, a.body, a.tag, a.data FROM notes a JOIN notes b ON b.id = a.id ORDER BY a.id');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'id | id | body           | tag  | data',
        '---+----+----------------+------+----------',
        '1  | 1  | first          | a    | <2 bytes>',
        '2  | 2  | "second\\nline" | NULL | NULL',
        '(2 rows)',
        '',
      ].join('\n'),
    );
    const json = JSON.parse((await cli(dir, 'sql', 'state', 'SELECT id, tag, data FROM notes WHERE id = ?', '1', '--json')).stdout);
    assert.deepEqual(json, {
      schema: 'cairn.sql/1',
      store: 'state',
      columns: ['id', 'tag', 'data'],
      rows: [[1, 'a', { base64: 'AP8=' }]],
      changes: null,
      write: false,
    });
  });

  it('binds parameters as values: what would be an injection matches nothing and changes nothing', async () => {
    const { dir, db } = await notesApp();
    const r = await cli(dir, 'sql', 'state', 'SELECT count(*) AS n FROM notes WHERE body = ?', "x' OR '1'='1", '--json');
    assert.deepEqual(JSON.parse(r.stdout).rows, [[0]]);
    const twice = await cli(dir, 'sql', 'state', 'SELECT count(*) AS n FROM notes WHERE tag = ? OR body = ?', 'a', 'first', '--json');
    assert.deepEqual(JSON.parse(twice.stdout).rows, [[1]]);
    assert.equal((readRows(db, 'SELECT count(*) AS n FROM notes') as { n: number }[])[0]!.n, 2);
  });

  it('refuses a statement that writes unless --write, before it runs; with --write it runs and counts', async () => {
    const { dir, db } = await notesApp();
    for (const sql of ["INSERT INTO notes (body) VALUES ('x')", 'DELETE FROM notes', 'DROP TABLE notes', "UPDATE notes SET tag = 'b' RETURNING id"]) {
      const r = await cli(dir, 'sql', 'state', sql);
      assert.equal(r.code, 64, sql);
      assert.match(r.stderr, /only reads unless --write; nothing was run/);
    }
    assert.equal((readRows(db, 'SELECT count(*) AS n FROM notes') as { n: number }[])[0]!.n, 2);
    const ins = await cli(dir, 'sql', 'state', 'INSERT INTO notes (body) VALUES (?), (?)', 'three', 'four', '--write');
    assert.equal(ins.code, 0, ins.stderr);
    assert.equal(ins.stdout, '2 rows changed\n');
    const returning = await cli(dir, 'sql', 'state', "UPDATE notes SET tag = 'z' WHERE body = ? RETURNING id, tag", 'three', '--write', '--json');
    assert.deepEqual(JSON.parse(returning.stdout).rows, [[3, 'z']]);
    assert.equal((readRows(db, 'SELECT count(*) AS n FROM notes') as { n: number }[])[0]!.n, 4);
  });

  it("the statement's own mistakes exit 64 with SQLite's words; an unknown store or a missing DB is named", async () => {
    const { dir } = await notesApp();
    const cases: Array<[string[], number, RegExp]> = [
      [['state', 'SELEC 1'], 64, /state: SQLite refused the statement: near "SELEC": syntax error/],
      [['state', 'SELECT * FROM nope'], 64, /no such table: nope/],
      [['state', 'SELECT 1; SELECT 2'], 64, /more than one statement/],
      [['state', 'SELECT ?'], 64, /Too few parameter values/],
      [['state', "ATTACH 'other.sqlite' AS other"], 64, /unable to open database/],
      [['nope', 'SELECT 1'], 64, /unknown store "nope"; this config declares: state, logs/],
    ];
    for (const [argv, code, message] of cases) {
      const r = await cli(dir, 'sql', ...argv);
      assert.equal(r.code, code, argv.join(' '));
      assert.match(r.stderr, message);
    }
    assert.equal(fs.existsSync(path.join(dir, 'other.sqlite')), false, 'a read-only ATTACH creates no file');
    const fresh = scratchApp({ state: { '0001_notes.sql': NOTES } });
    const missing = await cli(fresh.dir, 'sql', 'state', 'SELECT 1');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /does not exist yet; run cairn migrate/);
    assert.equal(fs.existsSync(path.join(fresh.dir, 'state.sqlite')), false);
  });

  it("with no query opens the store's sqlite3 shell, read-only unless --write, and exits as it does", async () => {
    const { dir, db } = await notesApp();
    const bin = tempDir();
    const record = path.join(bin, 'args.json');
    fs.writeFileSync(
      path.join(bin, 'sqlite3'),
      `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)));\nprocess.exit(3);\n`,
      { mode: 0o755 },
    );
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const ro = await spawnCli(dir, ['sql', 'state'], env);
    assert.equal(ro.code, 3, `the shell's exit status: ${ro.stderr}`);
    assert.deepEqual(JSON.parse(fs.readFileSync(record, 'utf8')), ['-readonly', db]);
    await spawnCli(dir, ['sql', 'state', '--write'], env);
    assert.deepEqual(JSON.parse(fs.readFileSync(record, 'utf8')), [db]);
    const none = await spawnCli(dir, ['sql', 'state'], { PATH: tempDir() });
    assert.equal(none.code, 64);
    assert.match(none.stderr, /the sqlite3 shell is not installed \(not on PATH\); give a query instead: cairn sql state "SELECT …"/);
  });
});
