import type { Db } from '../sqlite/db.js';

/**
 * Counts of reads that went to the legacy files instead of the DB
 * (readThrough), kept in the store itself so `cairn doctor` can say how
 * often an app still reads files and why. Counting happens in memory; the
 * counts are written at the first fallback of a connection, then at most
 * every FLUSH_INTERVAL_MS, and when the app closes its stores — a read never
 * waits on more than one small upsert, and never fails because the count
 * could not be written (the count stays in memory and goes out with the next
 * write).
 */
export const FALLBACKS_TABLE = 'cairn_read_fallbacks';

const SCHEMA = `CREATE TABLE IF NOT EXISTS ${FALLBACKS_TABLE} (
  job     TEXT NOT NULL,
  reason  TEXT NOT NULL,
  hour    TEXT NOT NULL,
  reads   INTEGER NOT NULL,
  last_at TEXT NOT NULL,
  detail  TEXT,
  PRIMARY KEY (job, reason, hour)
) WITHOUT ROWID`;

/** Counts are kept by the hour; a week of hours is enough for "in the last 24 h" and a trend. */
const KEEP_MS = 7 * 24 * 3600_000;
const FLUSH_INTERVAL_MS = 10_000;

/** Why a read went to the files. */
export type FallbackReason = 'not-started' | 'stopped' | 'interrupted' | 'running' | 'not-in-db' | 'db-error';

interface Pending {
  counts: Map<string, { job: string; reason: FallbackReason; hour: string; reads: number; lastAt: string; detail: string | null }>;
  lastFlush: number | null;
  warned: boolean;
}

const pending = new WeakMap<Db, Pending>();

export function recordFallback(db: Db, job: string, reason: FallbackReason, detail: string | null, now: number): void {
  let entry = pending.get(db);
  if (!entry) pending.set(db, (entry = { counts: new Map(), lastFlush: null, warned: false }));
  const hour = new Date(now - (now % 3600_000)).toISOString();
  const key = `${job}\u0000${reason}\u0000${hour}`;
  const count = entry.counts.get(key);
  const lastAt = new Date(now).toISOString();
  if (count) {
    count.reads += 1;
    count.lastAt = lastAt;
    count.detail = detail ?? count.detail;
  } else entry.counts.set(key, { job, reason, hour, reads: 1, lastAt, detail });
  // Never inside the app's own transaction (its rollback would take the counts along), and never waiting for a lock.
  if (!db.inTransaction && (entry.lastFlush === null || now - entry.lastFlush >= FLUSH_INTERVAL_MS)) flushFallbacks(db, now, { wait: false });
}

/**
 * Writes the counts not yet written; returns how many reads they hold. A
 * failure (a read-only connection, a lock held past the busy timeout) keeps
 * them for the next write and returns 0, with one process warning per
 * connection. `wait: false` (a read's own flush) gives up at once when
 * another process holds the write lock (a backfill's checkpoint): the read
 * goes on, and the counts go out with a later one.
 */
export function flushFallbacks(db: Db, now: number = Date.now(), options: { wait?: boolean } = {}): number {
  const entry = pending.get(db);
  if (!entry || entry.counts.size === 0) return 0;
  entry.lastFlush = now;
  const rows = [...entry.counts.values()];
  const timeout = options.wait === false ? Number(db.pragmaValue('busy_timeout')) : null;
  if (timeout !== null) db.exec('PRAGMA busy_timeout = 0');
  try {
    db.withTransaction(() => {
      db.exec(SCHEMA);
      const upsert = db.prepare(
        `INSERT INTO ${FALLBACKS_TABLE} (job, reason, hour, reads, last_at, detail) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (job, reason, hour) DO UPDATE SET reads = reads + excluded.reads, last_at = excluded.last_at, detail = coalesce(excluded.detail, detail)`,
      );
      for (const r of rows) upsert.run(r.job, r.reason, r.hour, r.reads, r.lastAt, r.detail);
      db.prepare(`DELETE FROM ${FALLBACKS_TABLE} WHERE hour < ?`).run(new Date(now - KEEP_MS).toISOString());
    });
  } catch (error) {
    if (options.wait === false && (error as { code?: string }).code?.startsWith('SQLITE_BUSY')) return 0;
    if (!entry.warned) {
      entry.warned = true;
      process.emitWarning(`cairn: could not record reads that fell back to files in ${db.file} (kept in memory, retried): ${(error as Error).message}`);
    }
    return 0;
  } finally {
    if (timeout !== null) db.exec(`PRAGMA busy_timeout = ${timeout}`);
  }
  entry.counts.clear();
  return rows.reduce((n, r) => n + r.reads, 0);
}

export interface FallbackSummary {
  job: string;
  reads: number;
  /** Reads by reason, most first. */
  reasons: Record<string, number>;
  lastAt: string;
  /** The latest detail recorded (a db-error's message). */
  detail: string | null;
}

/** Fallbacks recorded since `since` (ISO), per job; empty when the table is not there (no fallback was ever recorded). */
export function readFallbacks(db: Db, since: string): FallbackSummary[] {
  const present = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(FALLBACKS_TABLE);
  if (!present) return [];
  const rows = db
    .prepare(
      `SELECT job, reason, sum(reads) AS reads, max(last_at) AS last_at, detail FROM ${FALLBACKS_TABLE} WHERE last_at >= ? GROUP BY job, reason ORDER BY job, reads DESC`,
    )
    .all<{ job: string; reason: string; reads: number; last_at: string; detail: string | null }>(since);
  const byJob = new Map<string, FallbackSummary>();
  for (const r of rows) {
    const summary = byJob.get(r.job) ?? { job: r.job, reads: 0, reasons: {}, lastAt: r.last_at, detail: null };
    summary.reads += r.reads;
    summary.reasons[r.reason] = r.reads;
    if (r.last_at > summary.lastAt) summary.lastAt = r.last_at;
    // Only a db-error carries a detail (its message), from its latest hour: a bare column beside max() comes from that row.
    if (r.reason === 'db-error') summary.detail = r.detail;
    byJob.set(r.job, summary);
  }
  return [...byJob.values()];
}
