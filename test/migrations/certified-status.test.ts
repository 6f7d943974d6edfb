// `cairn status` on an up-to-date store reads no migration file: the DB's
// fingerprint certifies the files and history are as the last clean run left
// them. These tests hold it to the full read: wherever it answers, it answers
// exactly what storeStatus does, and wherever the files or history moved it
// declines (null) so the full read reports the change.
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { defineStores } from '../../dist/index.js';
import { certifiedStatus } from '../../dist/migrations/certified-status.js';
import { storeStatus } from '../../dist/migrations/status.js';
import type { ResolvedStore } from '../../dist/config/stores.js';
import { cli, scratchApp } from '../helpers.js';

const table = (n: number): string => `CREATE TABLE t${n} (id INTEGER PRIMARY KEY);\n`;

function storeOf(dir: string): ResolvedStore {
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'cairn.config.json'), 'utf8'));
  return defineStores(config, { root: dir, env: {} }).stores[0]!;
}

async function migrated(files: Record<string, string>, ...flags: string[]): Promise<{ dir: string; migrations: string; store: ResolvedStore }> {
  const { dir } = scratchApp({ state: files });
  const r = await cli(dir, 'migrate', ...flags);
  assert.equal(r.code, 0, r.stderr);
  return { dir, migrations: path.join(dir, 'migrations', 'state'), store: storeOf(dir) };
}

function withBaseline(dir: string, ddl: string, version: number): void {
  fs.writeFileSync(path.join(dir, 'baseline.sql'), ddl);
  const file = path.join(dir, 'cairn.config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  config.stores.state.baseline = { file: 'baseline.sql', version };
  fs.writeFileSync(file, JSON.stringify(config));
}

function assertSameAsFullRead(store: ResolvedStore): void {
  const certified = certifiedStatus(store);
  assert.ok(certified, 'an up-to-date store is certified');
  assert.deepEqual(certified, storeStatus(store));
}

describe('status from the fingerprint', () => {
  it('an up-to-date store reports what the full read reports', async () => {
    const { store } = await migrated({ '00001_a.sql': table(1), '00002_b.sql': table(2), 'README.md': 'notes\n' });
    assertSameAsFullRead(store);
  });

  it('an older app on a DB with newer, additive versions reports them as the full read does', async () => {
    const { dir, migrations, store } = await migrated({ '00001_a.sql': table(1), '00002_b.sql': table(2) });
    fs.rmSync(path.join(migrations, '00002_b.sql'));
    assert.equal(certifiedStatus(store), null, 'a file gone changes the listing');
    assert.equal((await cli(dir, 'migrate')).code, 0); // proceeds with a warning and records the new listing
    const certified = certifiedStatus(store);
    assert.equal(certified?.newerThanApp, true);
    assertSameAsFullRead(store);
  });

  it('a baseline that stands for squashed files reports what the full read reports', async () => {
    const { dir, migrations } = await migrated({ '00001_a.sql': table(1), '00002_b.sql': table(2) });
    withBaseline(dir, table(1) + table(2), 2);
    fs.rmSync(path.join(migrations, '00001_a.sql'));
    fs.rmSync(path.join(migrations, '00002_b.sql'));
    fs.writeFileSync(path.join(migrations, '00003_c.sql'), table(3));
    assert.equal((await cli(dir, 'migrate')).code, 0);
    assertSameAsFullRead(storeOf(dir));
  });

  it('a fresh DB started from the baseline, with the files it covers still there, reports what the full read reports', async () => {
    const { dir } = scratchApp({ state: { '00001_a.sql': table(1), '00002_b.sql': table(2), '00003_c.sql': table(3) } });
    withBaseline(dir, table(1) + table(2), 2);
    assert.equal((await cli(dir, 'migrate')).code, 0);
    const store = storeOf(dir);
    assertSameAsFullRead(store);
    assert.equal(certifiedStatus(store)?.applied[0]?.kind, 'baseline');
  });

  it('declines whenever the files or the history moved, so the full read reports it', async () => {
    const { dir, migrations, store } = await migrated({ '00001_a.sql': table(1) });
    assert.ok(certifiedStatus(store));

    fs.writeFileSync(path.join(migrations, '00002_b.sql'), table(2));
    assert.equal(certifiedStatus(store), null, 'a new file is pending');
    assert.equal(storeStatus(store).pending.length, 1);
    assert.equal((await cli(dir, 'migrate')).code, 0);
    assert.ok(certifiedStatus(store));

    const edited = path.join(migrations, '00001_a.sql');
    const before = fs.statSync(edited);
    fs.writeFileSync(edited, table(1).replace('t1', 'u1')); // same size
    fs.utimesSync(edited, before.atime, before.mtime); // same size and mtime: only ctime tells
    assert.equal(certifiedStatus(store), null, 'an edit with mtime put back');
    assert.equal(storeStatus(store).edited.length, 1);
    fs.writeFileSync(edited, table(1));
  });

  it('declines after a run stopped at --to and after the history changed by hand', async () => {
    const { dir, store } = await migrated({ '00001_a.sql': table(1), '00002_b.sql': table(2) }, '--to', '1');
    assert.equal(certifiedStatus(store), null, '--to leaves files pending and no fingerprint');
    assert.equal((await cli(dir, 'migrate')).code, 0);
    assert.ok(certifiedStatus(store));
    const db = new Database(store.file);
    db.prepare('DELETE FROM cairn_migrations WHERE version = 2').run();
    db.close();
    // cairn's own history writes forget the fingerprint; a hand edit does not, so the listing alone must not hide it.
    assert.equal(certifiedStatus(store), null, 'a file with no history row would be pending');
    assert.equal(storeStatus(store).pending.length, 1);
  });

  it('declines for a DB that does not exist or is not a database, and the full read says why', async () => {
    const { dir, store } = await migrated({ '00001_a.sql': table(1) });
    fs.rmSync(store.file);
    assert.equal(certifiedStatus(store), null);
    fs.writeFileSync(store.file, 'not a database at all, just text that is long enough to have a header\n'.repeat(20));
    assert.equal(certifiedStatus(store), null);
    assert.ok(storeStatus(store).error, 'the full read reports the broken file');
    const r = await cli(dir, 'status');
    assert.notEqual(r.code, 0, r.stdout);
  });
});
