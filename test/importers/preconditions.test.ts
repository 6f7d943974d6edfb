import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { cli } from '../helpers.js';
import { chainApp, sha256 } from './helpers.js';

const json = (stdout: string) => JSON.parse(stdout);

/** Migrates the app's store, then returns the files in home apart from SQLite's -wal/-shm. */
async function migrated(app: { dir: string }): Promise<void> {
  const r = await cli(app.dir, 'migrate');
  assert.equal(r.code, 0, r.stderr);
}

describe('cairn import: preconditions refuse before writing anything (exit 2)', () => {
  it('a missing source names its path, and no DB file is left behind', async () => {
    const app = chainApp();
    fs.rmSync(path.join(app.legacy, 'zones.json'));
    const r = await cli(app.dir, 'import', 'chain', '--from', app.legacy, '--json');
    assert.equal(r.code, 2);
    const err = json(r.stdout).error;
    assert.equal(err.code, 'E_SOURCE');
    assert.match(err.message, /zones\.json does not exist/);
    assert.ok(!fs.existsSync(app.db), 'no empty DB created');
    const missingFolder = await cli(app.dir, 'import', 'chain', '--from', path.join(app.dir, 'nowhere'));
    assert.equal(missingFolder.code, 2);
    assert.match(missingFolder.stderr, /nowhere\/items does not exist; pass --from/);
  });

  it('a SQLite source that is not a database is refused naming the file', async () => {
    const app = chainApp();
    fs.writeFileSync(path.join(app.legacy, 'old.db'), 'not a database at all, just text that is long enough to look like a header');
    const plan = path.join(app.dir, 'plans', 'bad-sqlite.mjs');
    fs.writeFileSync(plan, "export default { target: 'site', sources: { z: { kind: 'sqlite', path: 'old.db', table: 'zone' } }, map: () => null };\n");
    const r = await cli(app.dir, 'import', plan, '--from', app.legacy);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /old\.db cannot be read as SQLite/);
  });

  it('a DB another process is writing to is refused at once, not waited for', async () => {
    const app = chainApp();
    await migrated(app);
    const holder = new Database(app.db);
    holder.exec('BEGIN IMMEDIATE');
    const before = sha256(app.db);
    try {
      const started = performance.now();
      const r = await cli(app.dir, 'import', 'chain', '--from', app.legacy, '--json');
      const elapsed = performance.now() - started;
      assert.equal(r.code, 2, r.stderr);
      assert.equal(json(r.stdout).error.code, 'E_LOCKED');
      assert.match(json(r.stdout).error.message, /another process is writing/);
      assert.ok(elapsed < 4000, `refused without waiting out busy_timeout (took ${elapsed.toFixed(0)} ms)`);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    assert.equal(sha256(app.db), before);
  });

  it('a store held by another cairn process (migrate, import) is refused at once', async () => {
    const app = chainApp();
    await migrated(app);
    const lock = new Database(`${app.db}.cairn-lock`);
    lock.exec('BEGIN EXCLUSIVE');
    try {
      const r = await cli(app.dir, 'import', 'chain', '--from', app.legacy, '--json');
      assert.equal(r.code, 2);
      assert.equal(json(r.stdout).error.code, 'E_LOCKED');
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
  });

  it('a DB behind the app is refused unless --migrate, which migrates first', async () => {
    const app = chainApp();
    const items = path.join(app.dir, 'migrations', 'site', '0003_items.sql');
    const text = fs.readFileSync(items, 'utf8');
    fs.rmSync(items);
    await migrated(app);
    fs.writeFileSync(items, text);
    const before = sha256(app.db);
    const r = await cli(app.dir, 'import', 'chain', '--from', app.legacy, '--json');
    assert.equal(r.code, 2);
    const err = json(r.stdout).error;
    assert.equal(err.code, 'E_SCHEMA_BEHIND');
    assert.match(err.message, /at version 2 .* reach 3; pass --migrate/);
    assert.equal(sha256(app.db), before);

    const ok = await cli(app.dir, 'import', 'chain', '--from', app.legacy, '--migrate', '--json');
    assert.equal(ok.code, 0, ok.stderr);
    const s = json(ok.stdout);
    assert.deepEqual(
      s.migrated.applied.map((a: { version: number }) => a.version),
      [3],
    );
    assert.equal(s.tables.items.inserted, 12);
  });

  it('a DB a newer release migrated: only additive versions → imported with a warning; any other → refused, nothing written', async () => {
    const app = chainApp();
    await migrated(app);
    // The newer release's version only added a table: the app's rows still fit, as migrate itself rules.
    fs.rmSync(path.join(app.dir, 'migrations', 'site', '0003_items.sql'));
    const r = await cli(app.dir, 'import', 'chain', '--from', app.legacy, '--json');
    assert.equal(r.code, 0, r.stdout);
    const s = json(r.stdout);
    assert.match(s.warnings.join('\n'), /versions this app does not know, all additive: 3 \(0003_items\.sql, additive\); importing into it anyway/);
    assert.equal(s.tables.items.inserted, 12);

    const other = chainApp();
    fs.writeFileSync(path.join(other.dir, 'migrations', 'site', '0004_drop.sql'), 'CREATE TABLE scratch (id INTEGER);\nDROP TABLE scratch;\n');
    await migrated(other);
    fs.rmSync(path.join(other.dir, 'migrations', 'site', '0004_drop.sql'));
    const before = sha256(other.db);
    const refused = await cli(other.dir, 'import', 'chain', '--from', other.legacy, '--json');
    assert.equal(refused.code, 2);
    assert.equal(json(refused.stdout).error.code, 'E_NEWER_THAN_APP');
    assert.match(json(refused.stdout).error.message, /and it does not only add/);
    assert.equal(sha256(other.db), before);
  });

  it('an unknown plan name lists the declared ones (exit 64)', async () => {
    const app = chainApp();
    const r = await cli(app.dir, 'import', 'nope');
    assert.equal(r.code, 64);
    assert.match(r.stderr, /no import plan "nope".*\(chain\)/);
  });
});
