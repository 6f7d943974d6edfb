// Doctor on a big store, as a ratio to `PRAGMA quick_check` alone on the same
// file in the same run (issue #6: "a small multiple of quick_check"). The
// store has what the doctor reads beyond quick_check: a parent/child foreign
// key over every child row, indexes, a migration history. Raw and doctor
// alternate three times; the median per-round ratio is reported.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineStores, migrateStore, runDoctor } from '../dist/index.js';

const MIGRATIONS = {
  '0001_threads.sql': 'CREATE TABLE threads (id INTEGER PRIMARY KEY, title TEXT NOT NULL, created_at TEXT NOT NULL);\n',
  '0002_events.sql':
    'CREATE TABLE events (id INTEGER PRIMARY KEY, thread_id INTEGER NOT NULL REFERENCES threads (id), seq INTEGER NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL);\n' +
    'CREATE UNIQUE INDEX events_by_thread ON events (thread_id, seq);\n',
};

/** Fills the store to about `bytes` with SQL alone (the fastest way to get there). */
function fill(file, bytes) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const threads = Math.max(100, Math.round(bytes / 250_000));
  const perThread = Math.max(1, Math.round(bytes / 205 / threads));
  db.transaction(() => {
    db.prepare(
      "INSERT INTO threads (id, title, created_at) SELECT value, 'thread ' || value, '2026-11-23T10:00:00Z' FROM (WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < ?) SELECT value FROM n)",
    ).run(threads);
    db.prepare(
      `INSERT INTO events (thread_id, seq, kind, payload)
       SELECT t.value, s.value, 'message', hex(randomblob(80))
       FROM (WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < ?) SELECT value FROM n) AS t,
            (WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < ?) SELECT value FROM n) AS s`,
    ).run(threads, perThread);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

function quickCheck(file) {
  const t = performance.now();
  const db = new Database(file, { readonly: true });
  const result = db.pragma('quick_check', { simple: true });
  db.close();
  if (result !== 'ok') throw new Error(`quick_check: ${result}`);
  return performance.now() - t;
}

export async function benchDoctor({ quick = false } = {}) {
  const bytes = quick ? 100 * 1024 * 1024 : 1024 * 1024 * 1024;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bench-doctor-'));
  try {
    const migrations = path.join(dir, 'migrations');
    fs.mkdirSync(migrations);
    for (const [name, sql] of Object.entries(MIGRATIONS)) fs.writeFileSync(path.join(migrations, name), sql);
    const registry = defineStores({ stores: { big: { file: 'big.sqlite', migrations: 'migrations', backups: false } } }, { root: dir, env: {} });
    const store = registry.stores[0];
    await migrateStore(store);
    fill(store.file, bytes);
    const size = fs.statSync(store.file).size;
    quickCheck(store.file); // warm the page cache for both sides alike

    const rounds = [];
    for (let round = 0; round < 3; round++) {
      const raw = quickCheck(store.file);
      const t = performance.now();
      const report = await runDoctor(registry);
      const doctor = performance.now() - t;
      if (report.overallStatus !== 'ok') throw new Error(`doctor: ${report.overallStatus}: ${JSON.stringify(report.checks, null, 1)}`);
      rounds.push({ raw, doctor, ratio: doctor / raw });
    }
    const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[1];
    const goal = 3;
    return {
      name: `doctor: every check on a ${(size / 1024 / 1024).toFixed(0)} MiB store`,
      ok: median.ratio <= goal,
      sizeBytes: size,
      rounds,
      lines: [
        `PRAGMA quick_check alone ${(median.raw / 1000).toFixed(2)} s`,
        `cairn doctor            ${(median.doctor / 1000).toFixed(2)} s → ${median.ratio.toFixed(2)}× quick_check, median of 3 (${rounds.map((r) => r.ratio.toFixed(2)).join(', ')}) (goal ≤ ${goal}×)`,
      ],
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
