import type { Db } from '../sqlite/db.js';
import { FOREIGN_HISTORY_TABLES } from './foreign-tables.js';
import type { AppliedMigration } from './types.js';

/**
 * The history table: one row per applied version, written in the same
 * transaction as the migration it records. `cairn_meta` holds the source
 * fingerprint of the last clean run (see fingerprint.ts); any history change
 * deletes it, so the startup fast path can only trust a completed run.
 */
export const HISTORY_TABLE = 'cairn_migrations';
export const META_TABLE = 'cairn_meta';

const CREATE = `
CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
  version     INTEGER PRIMARY KEY,
  name        TEXT    NOT NULL,
  checksum    TEXT    NOT NULL,
  applied_at  TEXT    NOT NULL,
  duration_ms INTEGER NOT NULL,
  additive    INTEGER NOT NULL CHECK (additive IN (0, 1)),
  kind        TEXT    NOT NULL DEFAULT 'migration' CHECK (kind IN ('migration', 'baseline'))
);
CREATE TABLE IF NOT EXISTS ${META_TABLE} (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);`;

export function ensureHistory(db: Db): void {
  db.exec(CREATE);
}

export function hasHistory(db: Db): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(HISTORY_TABLE) !== undefined;
}

interface HistoryRow {
  version: number;
  name: string;
  checksum: string;
  applied_at: string;
  duration_ms: number;
  additive: number;
  kind: 'migration' | 'baseline';
}

export function readHistory(db: Db): AppliedMigration[] {
  if (!hasHistory(db)) return [];
  return db
    .prepare(`SELECT version, name, checksum, applied_at, duration_ms, additive, kind FROM ${HISTORY_TABLE} ORDER BY version`)
    .all<HistoryRow>()
    .map((row) => ({
      version: Number(row.version),
      name: row.name,
      checksum: row.checksum,
      appliedAt: row.applied_at,
      durationMs: Number(row.duration_ms),
      additive: row.additive === 1,
      kind: row.kind,
    }));
}

export function recordApplied(db: Db, entry: AppliedMigration): void {
  db.prepare(`INSERT INTO ${HISTORY_TABLE} (version, name, checksum, applied_at, duration_ms, additive, kind) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
    entry.version,
    entry.name,
    entry.checksum,
    entry.appliedAt,
    Math.round(entry.durationMs),
    entry.additive ? 1 : 0,
    entry.kind,
  );
  forgetFingerprint(db);
}

export function recordReverted(db: Db, version: number): void {
  db.prepare(`DELETE FROM ${HISTORY_TABLE} WHERE version = ?`).run(version);
  forgetFingerprint(db);
}

/** A file renamed to a new number between releases keeps its history row, re-stamped. */
export function recordRenamed(db: Db, from: number, to: { version: number; name: string }): void {
  db.prepare(`UPDATE ${HISTORY_TABLE} SET version = ?, name = ? WHERE version = ?`).run(to.version, to.name, from);
  forgetFingerprint(db);
}

/** One cairn_meta value (throws when the table is absent: the startup fast path reads it without a schema lookup). */
export function readMeta(db: Db, key: string): string | undefined {
  return db.prepare(`SELECT value FROM ${META_TABLE} WHERE key = ?`).get<{ value: string }>(key)?.value;
}

export function writeMeta(db: Db, key: string, value: string): void {
  db.prepare(`INSERT INTO ${META_TABLE} (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(key, value);
}

export function readFingerprint(db: Db): string | undefined {
  return readMeta(db, 'fingerprint');
}

export function writeFingerprint(db: Db, value: string): void {
  writeMeta(db, 'fingerprint', value);
}

export function forgetFingerprint(db: Db): void {
  db.prepare(`DELETE FROM ${META_TABLE} WHERE key = 'fingerprint'`).run();
}

/** Tables that belong to the app (not SQLite's, not cairn's, not another migration tool's history). */
export function userTableCount(db: Db): number {
  const row = db
    .prepare(
      `SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'cairn\\_%' ESCAPE '\\' AND name NOT IN (${[...FOREIGN_HISTORY_TABLES].map(() => '?').join(', ')})`,
    )
    .get<{ n: number }>(...FOREIGN_HISTORY_TABLES);
  return Number(row?.n ?? 0);
}
