import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cli, readRows, REPO, scratchApp, tempDir } from '../helpers.js';

/** sqlite_master as sorted lines (rootpage aside), cairn's own tables left out. */
function master(file: string): string[] {
  return (readRows(file, "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'cairn\\_%' ESCAPE '\\'") as Record<string, unknown>[])
    .map((r) => `${r.type} ${r.name} ${r.tbl_name} ${r.sql}`)
    .sort();
}

function copyDemo(): string {
  const dir = tempDir('cairn-baseline-');
  fs.cpSync(path.join(REPO, 'examples', 'agent-app'), dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}data`) });
  return dir;
}

function setConfig(dir: string, edit: (config: { home?: string; stores: Record<string, Record<string, unknown>> }) => void): void {
  const file = path.join(dir, 'cairn.config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(config);
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
}

describe('cairn baseline', () => {
  it("the demo app's baseline re-creates a schema identical (sqlite_master) to the migrated one, for every store", async () => {
    const dir = copyDemo();
    assert.equal((await cli(dir, 'migrate')).code, 0);
    const stores = ['state', 'logs', 'goals'];
    const versions: Record<string, number> = {};
    for (const store of stores) {
      const r = await cli(dir, 'baseline', '--store', store, '--json');
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.config.file, `migrations/${store}.baseline.sql`);
      assert.ok(fs.existsSync(path.join(dir, out.config.file)));
      versions[store] = out.version;
    }
    const migrated = Object.fromEntries(stores.map((s) => [s, master(path.join(dir, 'data', `${s}.sqlite`))]));

    // A fresh install configured with the baselines gets each schema in one step.
    setConfig(dir, (c) => {
      for (const store of stores) c.stores[store]!.baseline = { file: `migrations/${store}.baseline.sql`, version: versions[store] };
      c.home = './fresh';
    });
    const r = await cli(dir, 'migrate', '--json');
    assert.equal(r.code, 0, r.stderr);
    for (const s of JSON.parse(r.stdout).stores)
      assert.deepEqual(
        s.applied.map((a: { kind: string }) => a.kind),
        ['baseline'],
      );
    for (const store of stores) {
      assert.deepEqual(master(path.join(dir, 'fresh', `${store}.sqlite`)), migrated[store], `${store}: same sqlite_master`);
      assert.ok(migrated[store]!.length > 0);
    }
  });

  it('squash end to end: files up to the baseline retired; a DB at the version migrates on, a fresh one starts from the baseline, an older one is a legacy chain', async () => {
    const { dir } = scratchApp({
      state: {
        '0001_a.sql': 'CREATE TABLE a (id INTEGER PRIMARY KEY);',
        '0002_b.sql': 'CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id));',
        '0003_c.sql': 'ALTER TABLE b ADD COLUMN note TEXT;',
      },
    });
    // An old user stuck at version 1.
    assert.equal((await cli(dir, 'migrate', '--to', '1', '--store', 'state')).code, 0);
    fs.copyFileSync(path.join(dir, 'state.sqlite'), path.join(dir, 'old.sqlite'));
    assert.equal((await cli(dir, 'migrate')).code, 0);
    const b = await cli(dir, 'baseline', '--store', 'state');
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /"baseline": \{"file":"migrations\/state.baseline.sql","version":3\}/);
    for (const f of ['0001_a.sql', '0002_b.sql', '0003_c.sql']) fs.rmSync(path.join(dir, 'migrations', 'state', f));
    fs.writeFileSync(path.join(dir, 'migrations', 'state', '0004_d.sql'), 'CREATE TABLE d (id INTEGER PRIMARY KEY);');
    setConfig(dir, (c) => (c.stores.state!.baseline = { file: 'migrations/state.baseline.sql', version: 3 }));

    const status = JSON.parse((await cli(dir, 'status', '--json')).stdout).stores[0];
    assert.deepEqual([status.missing, status.unknown, status.newerThanApp], [[], [], false], 'retired files are neither missing nor unknown');
    const up = await cli(dir, 'migrate', '--json');
    assert.equal(up.code, 0, up.stderr);
    assert.deepEqual(
      JSON.parse(up.stdout).stores[0].applied.map((a: { name: string }) => a.name),
      ['0004_d.sql'],
    );
    const doctor = await cli(dir, 'doctor', '--json');
    assert.equal(JSON.parse(doctor.stdout).checks['state.schema'].status, 'ok');

    setConfig(dir, (c) => (c.home = './fresh'));
    assert.equal((await cli(dir, 'migrate')).code, 0);
    assert.deepEqual(readRows(path.join(dir, 'fresh', 'state.sqlite'), 'SELECT version, kind FROM cairn_migrations ORDER BY version'), [
      { version: 3, kind: 'baseline' },
      { version: 4, kind: 'migration' },
    ]);

    setConfig(dir, (c) => {
      c.home = '.';
      c.stores.state!.file = 'old.sqlite';
    });
    const old = await cli(dir, 'migrate');
    assert.equal(old.code, 2);
    assert.match(old.stderr, /legacy migration chain .*cairn cutover --store state/);
  });

  it("orders views after the views they read, skips shadow tables and other tools' history, and refuses what it cannot stand for", async () => {
    const { dir } = scratchApp({
      state: {
        '0001_base.sql': `CREATE TABLE child (id INTEGER PRIMARY KEY AUTOINCREMENT, parent_id INTEGER REFERENCES parent(id));
CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
CREATE VIEW top AS SELECT * FROM middle WHERE n > 1;
CREATE VIEW middle AS SELECT parent_id, count(*) AS n FROM child GROUP BY parent_id;
CREATE VIRTUAL TABLE notes USING fts5(body);
CREATE TRIGGER child_note AFTER INSERT ON child BEGIN INSERT INTO notes (body) VALUES ('child ' || new.id); END;
CREATE VIEW names AS SELECT name FROM parent;
CREATE TRIGGER names_insert INSTEAD OF INSERT ON names BEGIN INSERT INTO parent (name) VALUES (new.name); END;
CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')));`,
      },
    });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    const r = await cli(dir, 'baseline', '--store', 'state', '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    const order = [...r.stdout.matchAll(/^CREATE (?:VIRTUAL )?(TABLE|VIEW|TRIGGER|INDEX) (\w+)/gm)].map((m) => m[2]);
    assert.deepEqual(order, ['parent', 'child', 'notes', 'middle', 'top', 'names', 'child_note', 'names_insert']);
    assert.doesNotMatch(r.stdout, /notes_data|goose_db_version|sqlite_sequence|cairn_/);
    assert.ok(!fs.existsSync(path.join(dir, 'migrations', 'state.baseline.sql')), '--dry-run writes nothing');

    // The baseline on an empty DB behaves like the original: triggers and the FTS table work.
    const file = path.join(dir, 'check.sqlite');
    const db = new Database(file);
    db.exec(r.stdout);
    db.exec("INSERT INTO names (name) VALUES ('p'); INSERT INTO child (parent_id) VALUES (1), (1);");
    assert.deepEqual(db.prepare("SELECT rowid FROM notes WHERE notes MATCH 'child'").all().length, 2);
    assert.deepEqual(db.prepare('SELECT * FROM top').all(), [{ parent_id: 1, n: 2 }]);
    db.close();

    assert.equal((await cli(dir, 'baseline', '--store', 'state')).code, 0);
    const again = await cli(dir, 'baseline', '--store', 'state');
    assert.equal(again.code, 2, 'an existing file is not replaced without --force');
    assert.match(again.stderr, /already exists; pass --force/);
    assert.equal((await cli(dir, 'baseline', '--store', 'state', '--force')).code, 0);

    fs.writeFileSync(path.join(dir, 'migrations', 'state', '0002_more.sql'), 'CREATE TABLE more (x);');
    const behind = await cli(dir, 'baseline', '--store', 'state', '--force');
    assert.equal(behind.code, 2);
    assert.match(behind.stderr, /pending migrations \(0002_more.sql\); run cairn migrate --store state first/);
  });
});
