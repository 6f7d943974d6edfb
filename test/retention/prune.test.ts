// Retention for log-like tables, through the CLI and the library: rows older
// than maxAge (ISO text or epoch numbers) and beyond maxRows are deleted in
// short batches; a declaration that cannot be right is refused before
// anything goes; and an app writing at the same time with a 250 ms busy
// timeout never meets SQLITE_BUSY.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { loadConfig, pruneStore } from '../../dist/index.js';
import { cli, readRows, scratchApp } from '../helpers.js';

const LOGS = {
  '0001_logs.sql':
    'CREATE TABLE log_entries (id INTEGER PRIMARY KEY, ts TEXT NOT NULL, message TEXT NOT NULL);\n' +
    'CREATE TABLE metrics (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, value REAL NOT NULL);\n',
};

/** A logs store with retention declared, migrated, and rows `minutesAgo` old in both tables. */
async function logsApp(retention: Record<string, unknown>, minutesAgo: number[]): Promise<{ dir: string; db: string }> {
  const { dir } = scratchApp({ logs: LOGS }, { logs: { retention } });
  assert.equal((await cli(dir, 'migrate')).code, 0);
  const db = path.join(dir, 'logs.sqlite');
  const conn = new Database(db);
  const now = Date.now();
  const log = conn.prepare('INSERT INTO log_entries (ts, message) VALUES (?, ?)');
  const metric = conn.prepare('INSERT INTO metrics (at_ms, value) VALUES (?, ?)');
  conn.transaction(() => {
    for (const m of minutesAgo) {
      log.run(new Date(now - m * 60_000).toISOString(), `${m} minutes ago`);
      metric.run(now - m * 60_000, m);
    }
  })();
  conn.close();
  return { dir, db };
}

const count = (db: string, table: string): number => (readRows(db, `SELECT count(*) AS n FROM ${table}`) as { n: number }[])[0]!.n;

describe('retention and cairn prune', () => {
  it('deletes rows older than maxAge (ISO text and epoch ms) and beyond maxRows; --dry-run counts the same; a second run deletes nothing', async () => {
    const ages = Array.from({ length: 120 }, (_, i) => 119.5 - i); // 119.5 … 0.5 minutes ago, oldest first: none on a boundary
    const { dir, db } = await logsApp(
      { log_entries: { timeColumn: 'ts', maxAge: '1h' }, metrics: { timeColumn: 'at_ms', maxAge: 'PT90M', maxRows: 50 } },
      ages,
    );
    const dry = JSON.parse((await cli(dir, 'prune', '--dry-run', '--json')).stdout).stores[0];
    assert.deepEqual(
      dry.tables.map((t: { table: string; byAge: number; byCount: number; rowsLeft: number }) => [t.table, t.byAge, t.byCount, t.rowsLeft]),
      [
        ['log_entries', 60, 0, 60],
        ['metrics', 30, 40, 50],
      ],
    );
    assert.equal(count(db, 'log_entries'), 120, 'a dry run deletes nothing');
    const before = JSON.parse((await cli(dir, 'doctor', '--json')).stdout).checks['logs.retention'];
    assert.equal(before.status, 'warn');
    assert.match(before.summary, /log_entries \(rows older than 1 h\), metrics \(rows older than 90 min, 70 rows over 50\)/);
    assert.match(before.details.log_entries, /^120 rows, oldest \d{4}-.*Z, [\d.]+ (B|KiB|MiB)$/);
    assert.match(before.remedy, /cairn prune --store logs/);
    const real = await cli(dir, 'prune');
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, /logs: deleted 130 rows/);
    assert.match(real.stdout, /freed pages are reused for new rows; the file shrinks only with VACUUM/);
    assert.equal(count(db, 'log_entries'), 60);
    assert.deepEqual(readRows(db, 'SELECT min(value) AS newest, max(value) AS oldest, count(*) AS n FROM metrics'), [{ newest: 0.5, oldest: 49.5, n: 50 }]);
    assert.equal(JSON.parse((await cli(dir, 'doctor', '--json')).stdout).checks['logs.retention'].status, 'ok');
    const again = JSON.parse((await cli(dir, 'prune', '--json')).stdout).stores[0];
    assert.equal(
      again.tables.reduce((n: number, t: { byAge: number; byCount: number }) => n + t.byAge + t.byCount, 0),
      0,
    );
  });

  it('from the library, at a given moment; with auto_vacuum INCREMENTAL the pages go back to the file system', async () => {
    const { dir, db } = await logsApp({ log_entries: { timeColumn: 'ts', maxAge: '30m' } }, [50, 40, 20, 10]);
    const conn = new Database(db);
    conn.pragma('auto_vacuum = INCREMENTAL');
    conn.exec('VACUUM');
    const filler = conn.prepare('INSERT INTO log_entries (ts, message) VALUES (?, ?)');
    conn.transaction(() => {
      for (let i = 0; i < 2000; i++) filler.run(new Date(Date.now() - 3 * 3_600_000).toISOString(), 'x'.repeat(200));
    })();
    conn.close();
    const [store] = (await loadConfig({ cwd: dir })).stores;
    const result = await pruneStore(store!, { batchRows: 300 });
    assert.equal(result.tables[0]!.byAge, 2002);
    assert.ok(result.tables[0]!.batches >= 7, `batches of 300: ${result.tables[0]!.batches}`);
    assert.ok((result.pagesFreed ?? 0) > 0, 'pages given back');
    assert.equal(count(db, 'log_entries'), 2);
    const later = await pruneStore(store!, { now: new Date(Date.now() + 3_600_000) });
    assert.equal(later.tables[0]!.byAge, 2, 'an hour later the rest is old too');
  });

  it('refuses a declaration that cannot be right, before anything is deleted', async () => {
    const bad = scratchApp({ logs: LOGS }, { logs: { retention: { log_entries: { timeColumn: 'ts', maxAge: 'forever' } } } });
    const r = await cli(bad.dir, 'prune');
    assert.equal(r.code, 64);
    assert.match(r.stderr, /stores\.logs\.retention\.log_entries\.maxAge: a duration: 30s, 15m/);
    const none = scratchApp({ logs: LOGS }, { logs: { retention: { log_entries: { timeColumn: 'ts' } } } });
    assert.match((await cli(none.dir, 'prune')).stderr, /give maxAge, maxRows, or both/);

    const { dir, db } = await logsApp({ log_entries: { timeColumn: 'message', maxAge: '1h' }, metrics: { timeColumn: 'at_ms', maxAge: '1m' } }, [90, 30]);
    const wrong = await cli(dir, 'prune');
    assert.equal(wrong.code, 64);
    assert.match(wrong.stderr, /stores\.logs\.retention\.log_entries\.timeColumn: log_entries\.message holds "90 minutes ago", which is not a time/);
    assert.equal(count(db, 'metrics'), 2, 'the other table was not pruned either');
    const plain = scratchApp({ logs: LOGS, state: {} }, { logs: { retention: { log_entries: { timeColumn: 'ts', maxAge: '1h' } } } });
    const named = await cli(plain.dir, 'prune', '--store', 'state');
    assert.equal(named.code, 64, 'a store named on purpose that keeps everything');
    assert.match(named.stderr, /state declares no retention/);
    const { dir: d2 } = await logsApp({ nope: { timeColumn: 'ts', maxAge: '1h' } }, []);
    assert.match((await cli(d2, 'prune')).stderr, /retention\.nope: .* has no table nope/);
  });

  it('an app inserting with busy_timeout 250 ms while 200,000 rows are pruned never meets SQLITE_BUSY', async () => {
    const { dir, db } = await logsApp({ log_entries: { timeColumn: 'ts', maxAge: '1h' } }, []);
    const conn = new Database(db);
    const insert = conn.prepare('INSERT INTO log_entries (ts, message) VALUES (?, ?)');
    const old = new Date(Date.now() - 2 * 3_600_000).toISOString();
    conn.transaction(() => {
      for (let i = 0; i < 200_000; i++) insert.run(old, `old line ${i} with some words in it`);
    })();
    conn.close();
    const writer = path.join(dir, 'writer.cjs');
    fs.writeFileSync(
      writer,
      `const Database = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});
const db = new Database(${JSON.stringify(db)}, { timeout: 250 });
db.pragma('journal_mode = WAL');
const insert = db.prepare('INSERT INTO log_entries (ts, message) VALUES (?, ?)');
let ok = 0, busy = 0;
const stop = Date.now() + Number(process.argv[2]);
(function loop() {
  try { insert.run(new Date().toISOString(), 'new'); ok++; } catch (e) { if (String(e.code).startsWith('SQLITE_BUSY')) busy++; else throw e; }
  if (Date.now() < stop) setImmediate(loop); else { console.log(JSON.stringify({ ok, busy })); db.close(); }
})();
`,
    );
    const app = new Promise<{ ok: number; busy: number }>((resolve, reject) => {
      const child = spawn(process.execPath, [writer, '3000']);
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('error', reject);
      child.on('close', () => resolve(JSON.parse(out)));
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const pruned = await cli(dir, 'prune', '--json');
    assert.equal(pruned.code, 0, pruned.stderr);
    const seen = await app;
    assert.equal(JSON.parse(pruned.stdout).stores[0].tables[0].byAge, 200_000);
    assert.equal(seen.busy, 0, `the app met SQLITE_BUSY ${seen.busy} times`);
    assert.ok(seen.ok > 100, `the app kept writing: ${seen.ok} inserts`);
    assert.equal(count(db, 'log_entries'), seen.ok, 'every row the app wrote is there; none of the old ones');
  });
});
