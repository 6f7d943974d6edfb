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
/** The text of each applied file, as it was applied (what `cairn redo` reverts with after an edit). */
export const SOURCES_TABLE = 'cairn_migration_sources';
/** Every `migrate --accept-edit`: which checksum was replaced by which, and when. */
export const ACCEPTED_EDITS_TABLE = 'cairn_accepted_edits';
/** The tables that record a database's own migration history (on either engine): each target builds its own, so no copy carries them. */
export const HISTORY_TABLES: ReadonlySet<string> = new Set([HISTORY_TABLE, META_TABLE, SOURCES_TABLE, ACCEPTED_EDITS_TABLE]);

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
);
CREATE TABLE IF NOT EXISTS ${SOURCES_TABLE} (
  version  INTEGER PRIMARY KEY,
  checksum TEXT NOT NULL,
  text     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ${ACCEPTED_EDITS_TABLE} (
  version           INTEGER NOT NULL,
  name              TEXT    NOT NULL,
  applied_checksum  TEXT    NOT NULL,
  accepted_checksum TEXT    NOT NULL,
  accepted_at       TEXT    NOT NULL
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

/** The history row of an applied file, with the file's text when it is known (a baseline or an adopted row has none). */
export function recordApplied(db: Db, entry: AppliedMigration, source?: string): void {
  db.prepare(`INSERT INTO ${HISTORY_TABLE} (version, name, checksum, applied_at, duration_ms, additive, kind) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
    entry.version,
    entry.name,
    entry.checksum,
    entry.appliedAt,
    Math.round(entry.durationMs),
    entry.additive ? 1 : 0,
    entry.kind,
  );
  if (source !== undefined) writeSource(db, entry.version, entry.checksum, source);
  forgetFingerprint(db);
}

export function recordReverted(db: Db, version: number): void {
  db.prepare(`DELETE FROM ${HISTORY_TABLE} WHERE version = ?`).run(version);
  db.prepare(`DELETE FROM ${SOURCES_TABLE} WHERE version = ?`).run(version);
  forgetFingerprint(db);
}

/** `migrate --accept-edit`: the row takes the file's checksum (and text); the checksum it had is kept in cairn_accepted_edits. */
export function recordAcceptedEdit(
  db: Db,
  edit: { version: number; name: string; appliedChecksum: string; checksum: string; source?: string },
  at: Date,
): void {
  db.prepare(`UPDATE ${HISTORY_TABLE} SET checksum = ?, name = ? WHERE version = ?`).run(edit.checksum, edit.name, edit.version);
  db.prepare(`INSERT INTO ${ACCEPTED_EDITS_TABLE} (version, name, applied_checksum, accepted_checksum, accepted_at) VALUES (?, ?, ?, ?, ?)`).run(
    edit.version,
    edit.name,
    edit.appliedChecksum,
    edit.checksum,
    at.toISOString(),
  );
  if (edit.source !== undefined) writeSource(db, edit.version, edit.checksum, edit.source);
  forgetFingerprint(db);
}

function writeSource(db: Db, version: number, checksum: string, text: string): void {
  db.prepare(
    `INSERT INTO ${SOURCES_TABLE} (version, checksum, text) VALUES (?, ?, ?) ON CONFLICT (version) DO UPDATE SET checksum = excluded.checksum, text = excluded.text`,
  ).run(version, checksum, text);
}

/** The text a version was applied from; null when this DB has none for it (applied by a release before sources were kept). */
export function readAppliedSource(db: Db, version: number): { checksum: string; text: string } | null {
  const table = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(SOURCES_TABLE);
  if (!table) return null;
  return db.prepare(`SELECT checksum, text FROM ${SOURCES_TABLE} WHERE version = ?`).get<{ checksum: string; text: string }>(version) ?? null;
}

/** A file renamed to a new number between releases keeps its history row, re-stamped. */
export function recordRenamed(db: Db, from: number, to: { version: number; name: string }): void {
  db.prepare(`UPDATE ${HISTORY_TABLE} SET version = ?, name = ? WHERE version = ?`).run(to.version, to.name, from);
  db.prepare(`UPDATE ${SOURCES_TABLE} SET version = ? WHERE version = ?`).run(to.version, from);
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
