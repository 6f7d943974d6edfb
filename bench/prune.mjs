// Retention (issue 21): pruning half of a log table while another process
// inserts into it. The writer's p99 insert latency while the prune runs is
// compared with its p99 over the same time without one, in alternating
// rounds (median of the per-round ratios); the prune's own speed is rows/s.
// openStores()'s background prune runs the same batches and pauses, in passes
// with a time budget, so this measures both.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { defineStores, migrateStore, pruneStore } from '../dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const WRITER = path.join(here, 'prune-writer-child.mjs');
const MIGRATION =
  '-- +goose Up\nCREATE TABLE log_entries (id INTEGER PRIMARY KEY, ts TEXT NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL);\nCREATE INDEX log_entries_ts ON log_entries (ts);\n';

/** `rows` log lines, the older half three days old, the rest from the last hour. */
function fill(file, rows) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.prepare('DELETE FROM log_entries').run();
  const old = Date.now() - 3 * 86_400_000;
  db.prepare(
    `INSERT INTO log_entries (ts, level, message)
     SELECT strftime('%Y-%m-%dT%H:%M:%fZ', (CASE WHEN value <= ? THEN ? ELSE ? END + value) / 1000.0, 'unixepoch'), 'info', 'line ' || value || ' ' || hex(randomblob(24))
     FROM (WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < ?) SELECT value FROM n)`,
  ).run(rows / 2, old, Date.now() - 3600_000, rows);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** Starts the writer; `finish()` ends it and resolves to its latency summary. */
async function writer(file) {
  const child = spawn(process.execPath, [WRITER, file], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise((resolve) => child.stdout.once('data', resolve));
  return {
    finish: () =>
      new Promise((resolve, reject) => {
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1))) : reject(new Error(`writer exited ${code}`))));
        child.stdin.end();
      }),
  };
}

const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchPrune({ quick = false } = {}) {
  const rows = quick ? 200_000 : 2_000_000;
  const rounds = quick ? 1 : 3;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bench-prune-'));
  try {
    fs.mkdirSync(path.join(dir, 'migrations'));
    fs.writeFileSync(path.join(dir, 'migrations', '0001_logs.sql'), MIGRATION);
    const registry = defineStores(
      { stores: { logs: { file: 'logs.sqlite', migrations: 'migrations', backups: false, retention: { log_entries: { timeColumn: 'ts', maxAge: '1d' } } } } },
      { root: dir, env: {} },
    );
    const store = registry.stores[0];
    await migrateStore(store);
    const perRound = [];
    for (let i = 0; i < rounds; i++) {
      fill(store.file, rows);
      // The same writer, beside the prune, then alone for as long as the prune took.
      const w = await writer(store.file);
      const result = await pruneStore(store);
      const during = await w.finish();
      const alone = await writer(store.file);
      await new Promise((resolve) => setTimeout(resolve, result.elapsedMs));
      const without = await alone.finish();
      perRound.push({
        ratio: during.p99 / without.p99,
        rowsPerSecond: result.tables[0].byAge / (result.elapsedMs / 1000),
        during,
        without,
        elapsedMs: result.elapsedMs,
      });
    }
    const r = perRound.find((x) => x.ratio === median(perRound.map((y) => y.ratio)));
    const busy = perRound.reduce((n, x) => n + x.during.busy + x.without.busy, 0);
    return {
      name: `prune: ${(rows / 2).toLocaleString('en-US')} of ${rows.toLocaleString('en-US')} log rows while another process inserts one row per transaction (busy_timeout 250 ms)`,
      lines: [
        `writer p99 ${r.during.p99.toFixed(3)} ms during the prune vs ${r.without.p99.toFixed(3)} ms without → ${r.ratio.toFixed(2)}×, median of ${perRound.length} (${perRound.map((x) => x.ratio.toFixed(2)).join(', ')}) (goal ≤ 2×); max ${r.during.max.toFixed(1)} ms; ${r.during.inserts.toLocaleString('en-US')} inserts; SQLITE_BUSY ${busy} times (goal 0)`,
        `prune ${Math.round(r.rowsPerSecond).toLocaleString('en-US')} rows/s (${(r.elapsedMs / 1000).toFixed(1)} s)`,
      ],
      ok: r.ratio <= 2 && busy === 0,
      rounds: perRound,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchPrune({ quick: process.argv.includes('--quick') });
  console.log(r.name);
  for (const line of r.lines) console.log(`  ${line}`);
}
