import fs from 'node:fs';
import os from 'node:os';
import type { Db } from '../sqlite/db.js';

/**
 * cairn's bookkeeping for backfill jobs, in the store the job writes, so the
 * checkpoint commits in the same transaction as the rows it describes.
 * `cairn_backfill_state` has one row per job; `cairn_backfill_items` one per
 * item read, with the fingerprint and the offset reached, which is what lets
 * a refresh find new and grown files in any order.
 */
/** The tables this module keeps (a snapshot restore makes them when it carries them). */
export const STATE_TABLES: readonly string[] = ['cairn_backfill_state', 'cairn_backfill_items'];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cairn_backfill_state (
  job              TEXT PRIMARY KEY,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'running', 'complete')),
  last_watermark   TEXT,
  items_done       INTEGER NOT NULL DEFAULT 0,
  items_failed     INTEGER NOT NULL DEFAULT 0,
  rows_done        INTEGER NOT NULL DEFAULT 0,
  rejected         INTEGER NOT NULL DEFAULT 0,
  rejects_file     TEXT,
  rejects_bytes    INTEGER NOT NULL DEFAULT 0,
  started_at       TEXT,
  last_success_at  TEXT,
  updated_at       TEXT NOT NULL,
  lease_owner      TEXT,
  lease_expires_at INTEGER
);
CREATE TABLE IF NOT EXISTS cairn_backfill_items (
  job         TEXT NOT NULL,
  watermark   TEXT NOT NULL,
  file        TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('partial', 'done', 'failed')),
  size        INTEGER NOT NULL,
  mtime       TEXT NOT NULL,
  offset      INTEGER NOT NULL,
  line        INTEGER NOT NULL,
  tail_sha256 TEXT,
  rows        INTEGER NOT NULL DEFAULT 0,
  rejected    INTEGER NOT NULL DEFAULT 0,
  error       TEXT,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (job, watermark)
) WITHOUT ROWID;
`;

export type BackfillStatus = 'pending' | 'running' | 'complete';

export interface JobState {
  job: string;
  status: BackfillStatus;
  lastWatermark: string | null;
  itemsDone: number;
  itemsFailed: number;
  rowsDone: number;
  rejected: number;
  rejectsFile: string | null;
  rejectsBytes: number;
  startedAt: string | null;
  lastSuccessAt: string | null;
  updatedAt: string;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
}

/** Where an item stands: what a checkpoint writes into cairn_backfill_items and a resume reads back. */
export interface ItemPosition {
  watermark: string;
  file: string;
  status: 'partial' | 'done' | 'failed';
  size: number;
  mtime: string;
  offset: number;
  line: number;
  tailSha256: string | null;
}

/** An item's row as read back. */
export interface ItemRecord extends ItemPosition {
  error: string | null;
}

export function ensureStateTables(db: Db): void {
  db.exec(SCHEMA);
}

export function hasStateTable(db: Db): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cairn_backfill_state'").get() !== undefined;
}

/** One indexed read; null when the job never ran (or no job ever ran in this store). */
export function readJobState(db: Db, job: string): JobState | null {
  if (!hasStateTable(db)) return null;
  const row = db.prepare('SELECT * FROM cairn_backfill_state WHERE job = ?').get<Record<string, unknown>>(job);
  return row ? toJobState(row) : null;
}

export function readAllJobStates(db: Db): JobState[] {
  if (!hasStateTable(db)) return [];
  return db.prepare('SELECT * FROM cairn_backfill_state ORDER BY job').all<Record<string, unknown>>().map(toJobState);
}

export function readItemRecords(db: Db, job: string): Map<string, ItemRecord> {
  const rows = db
    .prepare('SELECT watermark, file, status, size, mtime, offset, line, tail_sha256, error FROM cairn_backfill_items WHERE job = ?')
    .all<Record<string, unknown>>(job);
  return new Map(rows.map((r) => [r.watermark as string, toItemRecord(r)]));
}

/** An item's row, from either engine's driver (numbers may arrive as text from a bigint column). */
export function toItemRecord(r: Record<string, unknown>): ItemRecord {
  return {
    watermark: r.watermark as string,
    file: r.file as string,
    status: r.status as ItemRecord['status'],
    size: Number(r.size),
    mtime: r.mtime as string,
    offset: Number(r.offset),
    line: Number(r.line),
    tailSha256: (r.tail_sha256 as string | null) ?? null,
    error: (r.error as string | null) ?? null,
  };
}

/** Items that failed (unreadable) with their errors, for status reports. */
export function readFailedItems(db: Db, job: string, limit = 20): { file: string; error: string }[] {
  if (!hasStateTable(db)) return [];
  return db
    .prepare("SELECT file, error FROM cairn_backfill_items WHERE job = ? AND status = 'failed' ORDER BY watermark LIMIT ?")
    .all<{ file: string; error: string | null }>(job, limit)
    .map((r) => ({ file: r.file, error: r.error ?? '' }));
}

/** A job's state row, from either engine's driver. */
export function toJobState(r: Record<string, unknown>): JobState {
  return {
    job: r.job as string,
    status: r.status as BackfillStatus,
    lastWatermark: (r.last_watermark as string | null) ?? null,
    itemsDone: Number(r.items_done),
    itemsFailed: Number(r.items_failed),
    rowsDone: Number(r.rows_done),
    rejected: Number(r.rejected),
    rejectsFile: (r.rejects_file as string | null) ?? null,
    rejectsBytes: Number(r.rejects_bytes),
    startedAt: (r.started_at as string | null) ?? null,
    lastSuccessAt: (r.last_success_at as string | null) ?? null,
    updatedAt: r.updated_at as string,
    leaseOwner: (r.lease_owner as string | null) ?? null,
    leaseExpiresAt: r.lease_expires_at === null || r.lease_expires_at === undefined ? null : Number(r.lease_expires_at),
  };
}

/** `host:pid:random`: the pid lets a run on the same host see that a holder died without waiting for expiry. */
export function newLeaseOwner(): string {
  // The global Web Crypto, not node:crypto: importing that costs ~9 ms, and this module is on the startup path (backfillReadiness).
  const random = Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(4))).toString('hex');
  return `${os.hostname()}:${process.pid}:${random}`;
}

/**
 * Whether a lease still binds: unexpired, and not held by a process of this
 * host that no longer exists (a SIGKILLed run frees its job at once instead
 * of after the lease's expiry). A reused pid only makes us wait for expiry.
 */
export function leaseIsLive(state: Pick<JobState, 'leaseOwner' | 'leaseExpiresAt'>, now: number): boolean {
  if (!state.leaseOwner || state.leaseExpiresAt === null || state.leaseExpiresAt <= now) return false;
  const [host, pid] = state.leaseOwner.split(':');
  if (host === os.hostname() && pid !== undefined && /^\d+$/.test(pid)) return processExists(Number(pid));
  return true;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * A killed process whose parent has not reaped it yet still answers kill(0),
 * but it runs no more code: its lease binds nothing. Linux says so in
 * /proc/PID/stat (state Z or X); where there is no /proc, it counts as alive
 * and the lease expires as usual.
 */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // The state follows the command name, which is in parentheses and may itself hold spaces or parentheses.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}
