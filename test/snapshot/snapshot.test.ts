import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { cli, scratchApp, tempDir } from '../helpers.js';
import { count, dataFiles, edgeApp, EDGE_VALUES, sha256 } from './helpers.js';

interface Manifest {
  store: string;
  schemaVersion: number | null;
  tables: { name: string; file: string; rows: number; sha256: string; columns: { name: string }[] }[];
  sequences: Record<string, number>;
}

const manifestOf = (dir: string): Manifest => JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;

describe('export → restore → export', () => {
  it('is byte-identical on every storage class and edge value, keeps AUTOINCREMENT counters and fires no trigger twice', async () => {
    const { dir, file } = await edgeApp();
    const first = path.join(dir, 'snap1');
    const exported = await cli(dir, 'export', '--out', first, '--json');
    assert.equal(exported.code, 0, exported.stderr);
    const manifest = manifestOf(first);
    assert.equal(manifest.store, 'state');
    assert.equal(manifest.schemaVersion, 1);
    const order = manifest.tables.map((t) => t.name);
    assert.deepEqual([...order].sort(), ['counters', 'kinds', 'no_key', 'parents', 'strict_any'], 'every table but the migration history');
    assert.ok(order.indexOf('parents') < order.indexOf('kinds'), 'parents before the tables that reference them');
    assert.equal(manifest.tables.find((t) => t.name === 'no_key')?.rows, EDGE_VALUES.length * 2);
    assert.deepEqual(manifest.sequences, { parents: 4 });
    assert.ok(!manifest.tables.find((t) => t.name === 'kinds')?.columns.some((c) => c.name === 'k_upper'), 'generated columns are recomputed, not exported');

    // What the format promises, read straight from the file.
    const kindsLines = fs.readFileSync(path.join(first, 'kinds.jsonl'), 'utf8').split('\n');
    const line = (i: number) => kindsLines[i] as string;
    assert.match(line(2), /^\["k002",-0\.0,0\.0,0,/, '-0.0 kept in the untyped column; REAL/INTEGER columns stored it as 0');
    assert.match(line(3), /^\["k003",1\.0,1\.0,1,/, 'a REAL 1.0 in an untyped column reads as 1.0, not 1');
    assert.match(line(4), /^\["k004",1,1\.0,1,/, 'an INTEGER 1 in an untyped column reads as 1');
    assert.match(line(13), /^\["k013",9223372036854775807,/, 'all 64 bits of an integer');
    assert.match(line(11), /^\["k011",9\.0e\+999,/, 'Infinity');
    assert.match(line(23), /^\["k023",\{"\$base64":true,"encoded":""\}/, 'an empty BLOB is a BLOB, not NULL or text');
    assert.match(line(19), /^\["k019","a\\u0000b",/, 'an embedded NUL survives');

    const target = path.join(dir, 'copy.sqlite');
    const restored = await cli(dir, 'restore', '--from', first, '--target', target, '--json');
    assert.equal(restored.code, 0, restored.stderr);
    const summary = JSON.parse(restored.stdout) as { rows: number; verification: { equal: boolean } };
    assert.equal(summary.verification.equal, true);

    const second = path.join(dir, 'snap2');
    const cfg = path.join(dir, 'copy.config.json');
    fs.writeFileSync(cfg, JSON.stringify({ stores: { state: { file: 'copy.sqlite', migrations: 'migrations/state' } } }));
    const again = await cli(dir, '--config', cfg, 'export', '--out', second);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(dataFiles(second), dataFiles(first), 'every data file byte-identical');
    assert.deepEqual(manifestOf(second).tables, manifest.tables);
    assert.deepEqual(manifestOf(second).sequences, { parents: 4 });

    const copy = new Database(target, { readonly: true });
    const original = new Database(file, { readonly: true });
    try {
      assert.equal(
        (copy.prepare("SELECT n FROM counters WHERE name = 'kinds'").get() as { n: number }).n,
        EDGE_VALUES.length,
        'the trigger did not fire again',
      );
      assert.deepEqual(copy.prepare('SELECT k, k_upper FROM kinds ORDER BY k').all(), original.prepare('SELECT k, k_upper FROM kinds ORDER BY k').all());
      const typed = 'SELECT typeof(anything) AS t, quote(anything) AS q FROM kinds ORDER BY k';
      assert.deepEqual(copy.prepare(typed).all(), original.prepare(typed).all());
      assert.equal(
        copy.prepare("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'kinds_count'").get() !== undefined,
        true,
        'the trigger is back',
      );
      assert.equal(copy.prepare('SELECT count(*) AS n FROM cairn_migrations').pluck().get(), 1, 'the target has its own history');
    } finally {
      copy.close();
      original.close();
    }
    const verify = await cli(dir, 'verify', '--db', target, '--snapshot', first);
    assert.equal(verify.code, 0, verify.stdout);
    assert.match(verify.stdout, /match the snapshot/);
  });

  it('the next id after a restore is never one the original handed out', async () => {
    const { dir } = await edgeApp();
    const snap = path.join(dir, 'snap');
    assert.equal((await cli(dir, 'export', '--out', snap)).code, 0);
    const target = path.join(dir, 'copy.sqlite');
    assert.equal((await cli(dir, 'restore', '--from', snap, '--target', target)).code, 0);
    const db = new Database(target);
    const id = db.prepare("INSERT INTO parents (name) VALUES ('new')").run().lastInsertRowid;
    db.close();
    assert.equal(id, 5, 'id 4 was used and deleted before the export');
  });
});

describe('a snapshot that changed after export', () => {
  it('is refused before anything is written (exit 2), naming the file; verify fails on it too', async () => {
    const { dir } = await edgeApp();
    const snap = path.join(dir, 'snap');
    assert.equal((await cli(dir, 'export', '--out', snap)).code, 0);
    const data = path.join(snap, 'parents.jsonl');
    const text = fs.readFileSync(data, 'utf8');
    fs.writeFileSync(data, text.replace('"root"', '"ROOT"'));
    const target = path.join(dir, 'copy.sqlite');
    const r = await cli(dir, 'restore', '--from', snap, '--target', target);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /parents\.jsonl does not match the snapshot's manifest/);
    assert.match(r.stderr, /Nothing was written/);
    assert.equal(fs.existsSync(target), false, 'no target file left behind');

    const v = await cli(dir, 'verify', '--snapshot', snap, '--json');
    assert.equal(v.code, 1);
    assert.equal((JSON.parse(v.stdout) as { checks: Record<string, { status: string }> }).checks['state.snapshot']?.status, 'fail');
  });

  it('a snapshot file replaced by a link (even to an identical copy outside the folder) is refused; nothing is read through it', async () => {
    const { dir } = await edgeApp();
    const snap = path.join(dir, 'snap');
    assert.equal((await cli(dir, 'export', '--out', snap)).code, 0);
    const data = path.join(snap, 'parents.jsonl');
    const outside = path.join(dir, 'outside.jsonl');
    fs.renameSync(data, outside);
    fs.symlinkSync(outside, data);
    const target = path.join(dir, 'copy.sqlite');
    const r = await cli(dir, 'restore', '--from', snap, '--target', target);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /parents\.jsonl is not a regular file in the snapshot folder/);
    assert.equal(fs.existsSync(target), false);
  });

  it('an unfinished export (no manifest) is refused with what to do', async () => {
    const { dir } = await edgeApp();
    const snap = path.join(dir, 'snap');
    assert.equal((await cli(dir, 'export', '--out', snap)).code, 0);
    fs.rmSync(path.join(snap, 'manifest.json'));
    const r = await cli(dir, 'restore', '--from', snap, '--target', path.join(dir, 'copy.sqlite'), '--store', 'state');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /has no manifest\.json: the export did not finish/);
  });

  it('a line that is not a row names its file and line, and rolls everything back', async () => {
    const { dir } = await edgeApp();
    const snap = path.join(dir, 'snap');
    assert.equal((await cli(dir, 'export', '--out', snap)).code, 0);
    // A consistent-looking snapshot (manifest rewritten to match) with a broken row on line 2.
    const data = path.join(snap, 'no_key.jsonl');
    const lines = fs.readFileSync(data, 'utf8').split('\n');
    lines[1] = '[1,2,3]';
    fs.writeFileSync(data, lines.join('\n'));
    const manifest = manifestOf(snap);
    const entry = manifest.tables.find((t) => t.name === 'no_key');
    assert.ok(entry);
    Object.assign(entry, { sha256: sha256(data), bytes: fs.statSync(data).size });
    fs.writeFileSync(path.join(snap, 'manifest.json'), JSON.stringify(manifest));
    const target = path.join(dir, 'copy.sqlite');
    const r = await cli(dir, 'restore', '--from', snap, '--target', target);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no_key\.jsonl:2: a row of table no_key cannot be restored: expected 2 values, found 3/);
    assert.equal(fs.existsSync(target), false);

    // A duplicated key inside a multi-row batch is still named by its own line.
    const strictFile = path.join(snap, 'strict_any.jsonl');
    const strictLines = fs.readFileSync(strictFile, 'utf8').split('\n');
    strictLines[5] = strictLines[4] as string;
    fs.writeFileSync(strictFile, strictLines.join('\n'));
    const strictEntry = manifest.tables.find((t) => t.name === 'strict_any');
    assert.ok(strictEntry);
    lines[1] = lines[0] as string;
    fs.writeFileSync(data, lines.join('\n'));
    Object.assign(entry, { sha256: sha256(data), bytes: fs.statSync(data).size });
    Object.assign(strictEntry, { sha256: sha256(strictFile), bytes: fs.statSync(strictFile).size });
    fs.writeFileSync(path.join(snap, 'manifest.json'), JSON.stringify(manifest));
    const dup = await cli(dir, 'restore', '--from', snap, '--target', target);
    assert.equal(dup.code, 2);
    assert.match(dup.stderr, /strict_any\.jsonl:6: a row of table strict_any cannot be restored: UNIQUE constraint failed/);
    assert.equal(fs.existsSync(target), false);
  });
});

describe('restore preconditions', () => {
  const V1 = { '0001_t.sql': 'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, old TEXT);\n' };
  async function snapshotOf(): Promise<{ dir: string; snap: string }> {
    const { dir } = scratchApp({ state: V1 });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    const db = new Database(path.join(dir, 'state.sqlite'));
    db.exec("INSERT INTO t VALUES (1, 'one', 'x'), (2, 'two', 'y')");
    db.close();
    const snap = path.join(dir, 'snap');
    assert.equal((await cli(dir, 'export', '--out', snap)).code, 0);
    return { dir, snap };
  }
  /** The app's next release: `old` dropped, `added` with a default. */
  function nextRelease(dir: string, extra = ''): void {
    fs.writeFileSync(
      path.join(dir, 'migrations', 'state', '0002_change.sql'),
      `ALTER TABLE t DROP COLUMN old;\nALTER TABLE t ADD COLUMN added TEXT NOT NULL DEFAULT 'd';\n${extra}`,
    );
  }

  it('a target holding rows is refused unless --force; the live store is never a target', async () => {
    const { dir, snap } = await snapshotOf();
    const target = path.join(dir, 'copy.sqlite');
    assert.equal((await cli(dir, 'restore', '--from', snap, '--target', target)).code, 0);
    const again = await cli(dir, 'restore', '--from', snap, '--target', target);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already holds data \(table t has rows\); pass --force/);
    const forced = await cli(dir, 'restore', '--from', snap, '--target', target, '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(count(target, 't'), 2);
    const live = await cli(dir, 'restore', '--from', snap, '--target', path.join(dir, 'state.sqlite'));
    assert.equal(live.code, 64);
    assert.match(live.stderr, /is the live file of store state; .*cairn cutover --store state/);
  });

  it('a column the target lacks is refused by name unless --drop-unknown-columns; a new column takes its default', async () => {
    const { dir, snap } = await snapshotOf();
    nextRelease(dir);
    const target = path.join(dir, 'copy.sqlite');
    const refused = await cli(dir, 'restore', '--from', snap, '--target', target);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /t: column old not in the target's schema/);
    assert.match(refused.stderr, /--drop-unknown-columns/);
    assert.equal(fs.existsSync(target), false);
    const dropped = await cli(dir, 'restore', '--from', snap, '--target', target, '--drop-unknown-columns', '--json');
    assert.equal(dropped.code, 0, dropped.stderr);
    const db = new Database(target, { readonly: true });
    assert.deepEqual(db.prepare('SELECT id, a, added FROM t ORDER BY id').all(), [
      { id: 1, a: 'one', added: 'd' },
      { id: 2, a: 'two', added: 'd' },
    ]);
    db.close();
    const doc = JSON.parse(dropped.stdout) as {
      tables: { droppedColumns: string[]; defaultedColumns: string[] }[];
      verification: { tables: { comparedBy: string }[] };
    };
    assert.deepEqual(doc.tables[0]?.droppedColumns, ['old']);
    assert.deepEqual(doc.tables[0]?.defaultedColumns, ['added']);
    assert.equal(doc.verification.tables[0]?.comparedBy, 'count');
  });

  it('a required target column the snapshot cannot fill is refused by name', async () => {
    const { dir, snap } = await snapshotOf();
    fs.writeFileSync(
      path.join(dir, 'migrations', 'state', '0002_required.sql'),
      'CREATE TABLE t2 (id INTEGER PRIMARY KEY);\nALTER TABLE t RENAME TO t_old;\nCREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, old TEXT, must TEXT NOT NULL);\nDROP TABLE t_old;\n',
    );
    const r = await cli(dir, 'restore', '--from', snap, '--target', path.join(dir, 'copy.sqlite'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /t\.must is NOT NULL with no default in the target/);
  });

  it('rows that break a foreign key in the target are refused and rolled back', async () => {
    const { dir } = scratchApp({
      state: { '0001_t.sql': 'CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER);\n' },
    });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    const db = new Database(path.join(dir, 'state.sqlite'));
    db.exec('INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1), (2, 7);');
    db.close();
    const snap = path.join(dir, 'snap');
    assert.equal((await cli(dir, 'export', '--out', snap)).code, 0);
    // The next release adds the foreign key the old rows break.
    fs.writeFileSync(
      path.join(dir, 'migrations', 'state', '0002_fk.sql'),
      'DROP TABLE c;\nCREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id));\n',
    );
    const target = path.join(dir, 'copy.sqlite');
    const r = await cli(dir, 'restore', '--from', snap, '--target', target);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /break 1 foreign key .*c rowid 2 → p/);
    assert.equal(fs.existsSync(target), false);
  });
});

describe('export', () => {
  it('refuses a non-empty --out unless --force, and --force never deletes other files', async () => {
    const { dir } = await edgeApp();
    const out = tempDir();
    fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
    const r = await cli(dir, 'export', '--out', out);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not empty/);
    const forced = await cli(dir, 'export', '--out', out, '--force');
    assert.equal(forced.code, 2);
    assert.equal(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8'), 'mine');
    const snap = path.join(dir, 'snap');
    assert.equal((await cli(dir, 'export', '--out', snap)).code, 0);
    assert.equal((await cli(dir, 'export', '--out', snap, '--force')).code, 0);
  });

  it('a store with no file is exit 2, and nothing is created', async () => {
    const { dir } = scratchApp({ state: { '0001_t.sql': 'CREATE TABLE t (id INTEGER PRIMARY KEY);\n' } });
    const r = await cli(dir, 'export');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /does not exist; there is nothing to export/);
    assert.equal(fs.existsSync(path.join(dir, 'state.sqlite')), false);
  });
});
