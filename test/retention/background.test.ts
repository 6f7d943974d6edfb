// Retention an app gets by declaring it: openStores() prunes declared tables
// in the background, within a time budget per pass, on its own connection;
// closing the stores waits for a pass in flight; a declaration mistake is a
// warning, never an exception in the app.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { loadConfig, openStores, type PruneResult } from '../../dist/index.js';
import { cli, readRows, REPO, scratchApp } from '../helpers.js';

const LOGS = { '0001_logs.sql': 'CREATE TABLE log_entries (id INTEGER PRIMARY KEY, ts TEXT NOT NULL, message TEXT NOT NULL);\n' };

async function logsApp(oldRows: number, newRows: number, timeColumn = 'ts'): Promise<{ dir: string; db: string }> {
  const { dir } = scratchApp({ logs: LOGS }, { logs: { retention: { log_entries: { timeColumn, maxAge: '1d' } } } });
  assert.equal((await cli(dir, 'migrate')).code, 0);
  const db = path.join(dir, 'logs.sqlite');
  const conn = new Database(db);
  const insert = conn.prepare('INSERT INTO log_entries (ts, message) VALUES (?, ?)');
  const old = new Date(Date.now() - 3 * 86_400_000).toISOString();
  conn.transaction(() => {
    for (let i = 0; i < oldRows; i++) insert.run(old, `old ${i}`);
    for (let i = 0; i < newRows; i++) insert.run(new Date().toISOString(), `new ${i}`);
  })();
  conn.close();
  return { dir, db };
}

/** Awaits `p` with the event loop held open: the pruning timer is unref'd, as it must be in an app, so an idle test would otherwise just end. */
async function alive<T>(p: Promise<T>): Promise<T> {
  const hold = setInterval(() => {}, 1000);
  try {
    return await p;
  } finally {
    clearInterval(hold);
  }
}

const rows = (db: string): number => (readRows(db, 'SELECT count(*) AS n FROM log_entries') as { n: number }[])[0]!.n;

function nextPrune(): { onPrune: (r: PruneResult) => void; seen: Promise<PruneResult> } {
  let resolve!: (r: PruneResult) => void;
  const seen = new Promise<PruneResult>((r) => (resolve = r));
  return { onPrune: (r) => resolve(r), seen };
}

describe('background retention from openStores', () => {
  it('prunes a declared table once startup has returned, without the app asking', async () => {
    const { dir, db } = await logsApp(3000, 10);
    const { onPrune, seen } = nextPrune();
    const stores = await openStores(await loadConfig({ cwd: dir }), { prune: { onPrune } });
    const result = await alive(seen);
    assert.equal(result.complete, true);
    assert.equal(result.tables[0]!.byAge, 3000);
    await stores.close();
    assert.equal(rows(db), 10);
  });

  it('stops each pass when its budget is spent and goes on at the next one; close() waits for a pass in flight', async () => {
    const { dir, db } = await logsApp(40_000, 5);
    const results: PruneResult[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const stores = await openStores(await loadConfig({ cwd: dir }), {
      prune: {
        budgetMs: 5,
        intervalMs: 1,
        onPrune: (r) => {
          results.push(r);
          if (r.complete) done();
        },
      },
    });
    await alive(finished);
    await stores.close();
    assert.ok(results.length > 1, `${results.length} passes`);
    assert.equal(results[0]!.complete, false, 'the first pass ran out of budget');
    assert.equal(
      results.reduce((n, r) => n + r.tables[0]!.byAge, 0),
      40_000,
    );
    assert.equal(rows(db), 5);
  });

  it('prune: false leaves the rows; a time column with no times is a warning, not an exception', async () => {
    const off = await logsApp(100, 1);
    const stores = await openStores(await loadConfig({ cwd: off.dir }), { prune: false });
    await alive(new Promise((r) => setTimeout(r, 50)));
    await stores.close();
    assert.equal(rows(off.db), 101);

    const bad = await logsApp(10, 1, 'message');
    const warnings: string[] = [];
    const opened = await openStores(await loadConfig({ cwd: bad.dir }), { onWarning: (m) => warnings.push(m) });
    for (let i = 0; i < 100 && warnings.length === 0; i++) await alive(new Promise((r) => setTimeout(r, 10)));
    await opened.close();
    assert.match(warnings.join('\n'), /retention of store logs was not applied: .*log_entries\.message holds "old 0", which is not a time/);
    assert.equal(rows(bad.db), 11, 'nothing deleted');
  });

  it('never keeps the process alive: an app that opens its stores and returns exits at once', async () => {
    const { dir } = await logsApp(10, 1);
    const script = `import { loadConfig, openStores } from ${JSON.stringify(path.join(REPO, 'dist', 'index.js'))};
      await openStores(await loadConfig({ cwd: ${JSON.stringify(dir)} }), { prune: { intervalMs: 3600000 } });`;
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Date.now() - started < 15_000);
  });
});
