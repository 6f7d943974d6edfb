import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { CairnError, defineStores, loadConfig, migrateStore, openStores, type OpenStoresProgress } from '../../dist/index.js';
import { scratchApp } from '../helpers.js';

const V1 = 'CREATE TABLE projects (id TEXT PRIMARY KEY);\n';

describe('openStores', () => {
  it('opens every store, applies what is pending, and hands back open connections', async () => {
    const { dir } = scratchApp({ state: { '0001_a.sql': V1 }, logs: { '0001_logs.sql': 'CREATE TABLE log (x);\n' } });
    const registry = await loadConfig({ cwd: dir });
    const opened = await openStores(registry);
    try {
      assert.deepEqual(Object.keys(opened.dbs).sort(), ['logs', 'state']);
      assert.equal(opened.migrations.state?.applied.length, 1);
      opened.db('state').prepare('INSERT INTO projects VALUES (?)').run('p1');
      assert.equal(opened.db('state').pragmaValue('journal_mode'), 'wal');
      assert.equal(opened.db('state').pragmaValue('foreign_keys'), 1);
      assert.throws(() => opened.db('nope'), /Unknown store "nope"/);
      assert.deepEqual(
        fs.readdirSync(dir).filter((f) => f.includes('.cairn-backup-')),
        [],
        'a DB with nothing in it yet is not backed up',
      );
    } finally {
      opened.close();
    }
  });

  it('is all or nothing across stores: with one store refused, no other store is changed', async () => {
    const { dir } = scratchApp({ state: { '0001_a.sql': V1 }, logs: { '0001_logs.sql': 'CREATE TABLE log (x);\n' } });
    (await openStores(await loadConfig({ cwd: dir }), { stores: ['logs'] })).close();
    fs.appendFileSync(path.join(dir, 'migrations/logs/0001_logs.sql'), '-- edited\n');
    await assert.rejects(openStores(await loadConfig({ cwd: dir })), (e: CairnError) => e.code === 'E_CHECKSUM_MISMATCH');
    const state = path.join(dir, 'state.sqlite');
    const db = new Database(state, { readonly: true });
    assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'projects'").pluck().get(), 0, 'state was not migrated');
    db.close();
  });

  it('takes the fast path when nothing changed on disk, and still catches an edit', async () => {
    const { dir } = scratchApp({ state: { '0001_a.sql': V1 } });
    const registry = await loadConfig({ cwd: dir });
    (await openStores(registry)).close();
    const second = await openStores(registry);
    assert.equal(second.migrations.state, null, 'nothing re-read when nothing changed');
    second.close();

    // Same size, same mtime: only the content (and so ctime) differs.
    const file = path.join(dir, 'migrations/state/0001_a.sql');
    const { mtime } = fs.statSync(file);
    fs.writeFileSync(file, V1.replace('projects', 'projectz'));
    fs.utimesSync(file, mtime, mtime);
    await assert.rejects(
      openStores(registry),
      (e: CairnError) => e.code === 'E_CHECKSUM_MISMATCH' && /0001_a\.sql changed after it was applied/.test(e.message),
    );
  });

  it('a new file after a clean start is applied on the next start', async () => {
    const { dir } = scratchApp({ state: { '0001_a.sql': V1 } });
    const registry = await loadConfig({ cwd: dir });
    (await openStores(registry)).close();
    fs.writeFileSync(path.join(dir, 'migrations/state/0002_b.sql'), 'CREATE TABLE b (x);\n');
    const opened = await openStores(registry);
    assert.deepEqual(
      opened.migrations.state?.applied.map((a) => a.version),
      [2],
    );
    opened.close();
  });

  it('defineStores validates and resolves paths: home (or CAIRN_HOME) for files, the root for migrations', () => {
    const reg = defineStores({ home: 'data', stores: { state: { file: 'state.sqlite', migrations: 'm/state' } } }, { root: '/app', env: {} });
    assert.equal(reg.stores[0]!.file, '/app/data/state.sqlite');
    assert.equal(reg.stores[0]!.migrations, '/app/m/state');
    const overridden = defineStores({ stores: { state: { file: 'state.sqlite', migrations: false } } }, { root: '/app', env: { CAIRN_HOME: '/home/u/.app' } });
    assert.equal(overridden.stores[0]!.file, '/home/u/.app/state.sqlite');
    assert.throws(
      () => defineStores({ stores: { state: { file: '' } } } as never),
      (e: CairnError) => e.code === 'E_CONFIG' && /stores\.state\.file/.test(e.message),
    );
  });

  it('loads .mjs and .ts configs', async () => {
    for (const [name, body] of [
      ['cairn.config.mjs', "export default { stores: { s: { file: 's.sqlite', migrations: 'm' } } };"],
      [
        'cairn.config.ts',
        "const config: { stores: Record<string, { file: string; migrations: string }> } = { stores: { s: { file: 's.sqlite', migrations: 'm' } } };\nexport default config;",
      ],
    ] as const) {
      const { dir } = scratchApp({});
      fs.rmSync(path.join(dir, 'cairn.config.json'));
      fs.writeFileSync(path.join(dir, name), body);
      const reg = await loadConfig({ cwd: path.join(dir) });
      assert.equal(reg.stores[0]!.file, path.join(dir, 's.sqlite'), name);
    }
  });
});

describe('openStores progress', () => {
  it('reports the plan, then each step as it starts and ends, across stores; nothing on a start with nothing pending', async () => {
    const { dir } = scratchApp({
      state: { '0001_a.sql': V1, '0002_b.sql': 'CREATE TABLE tasks (id TEXT PRIMARY KEY);\n' },
      logs: { '0001_logs.sql': 'CREATE TABLE log (x);\n' },
    });
    const registry = await loadConfig({ cwd: dir });
    const events: OpenStoresProgress[] = [];
    (await openStores(registry, { onProgress: (e) => events.push(e) })).close();
    assert.deepEqual(events[0], { kind: 'plan', stores: ['state', 'logs'], total: 3 });
    const steps = events.slice(1).map((e) => (e.kind === 'step' ? `${e.store} ${e.phase} ${e.step.version} ${e.index}/${e.total}` : e.kind));
    assert.deepEqual(steps, ['state start 1 1/3', 'state done 1 1/3', 'state start 2 2/3', 'state done 2 2/3', 'logs start 1 3/3', 'logs done 1 3/3']);

    const again: OpenStoresProgress[] = [];
    (await openStores(registry, { onProgress: (e) => again.push(e) })).close();
    assert.deepEqual(again, []);
  });
});

describe('openStores after migrate --to', () => {
  it('applies the files a run stopped at --to left pending: the startup fast path never skips them', async () => {
    const { dir } = scratchApp({
      state: { '0001_a.sql': V1, '0002_b.sql': '-- +goose Up\nCREATE TABLE tasks (id TEXT PRIMARY KEY);\n-- +goose Down\nDROP TABLE tasks;\n' },
    });
    const registry = await loadConfig({ cwd: dir });
    (await openStores(registry)).close();
    const [store] = registry.stores;
    const down = await migrateStore(store!, { to: 1 });
    assert.equal(down.to, 1);
    const opened = await openStores(registry);
    try {
      assert.equal(opened.migrations.state?.applied.map((s) => s.version).join(), '2');
      assert.ok(opened.db('state').prepare("SELECT 1 FROM sqlite_master WHERE name = 'tasks'").get());
    } finally {
      opened.close();
    }
  });
});
