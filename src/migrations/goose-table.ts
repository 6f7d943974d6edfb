import type { Db } from '../sqlite/db.js';
import { GOOSE_TABLE } from './foreign-tables.js';
import { readHistory } from './history.js';

/**
 * goose's own history table, as goose v3 writes it for SQLite
 * (dialect sqlite3): created with a version-0 row, one row inserted per
 * version applied, and the version's rows deleted when it is rolled back.
 * cairn reads it to adopt a goose DB (adopt/read-history.ts) and, for a
 * store with `"history": "goose"`, keeps it in step so goose itself still
 * sees the DB as up to date.
 */
export { GOOSE_TABLE };

const CREATE = `CREATE TABLE ${GOOSE_TABLE} (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		version_id INTEGER NOT NULL,
		is_applied INTEGER NOT NULL,
		tstamp TIMESTAMP DEFAULT (datetime('now'))
	)`;

export function hasGooseTable(db: Db): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(GOOSE_TABLE) !== undefined;
}

/** Creates the table with goose's version-0 row, when it is not there yet. */
export function ensureGooseTable(db: Db): void {
  if (hasGooseTable(db)) return;
  db.exec(CREATE);
  db.prepare(`INSERT INTO ${GOOSE_TABLE} (version_id, is_applied) VALUES (0, 1)`).run();
}

export function gooseApplied(db: Db, version: number): void {
  ensureGooseTable(db);
  db.prepare(`INSERT INTO ${GOOSE_TABLE} (version_id, is_applied) VALUES (?, 1)`).run(version);
}

export function gooseReverted(db: Db, version: number): void {
  if (hasGooseTable(db)) db.prepare(`DELETE FROM ${GOOSE_TABLE} WHERE version_id = ?`).run(version);
}

export function gooseRenamed(db: Db, from: number, to: number): void {
  if (hasGooseTable(db)) db.prepare(`UPDATE ${GOOSE_TABLE} SET version_id = ? WHERE version_id = ?`).run(to, from);
}

export interface GooseRow {
  id: number;
  version_id: number;
  /** 1/0 on SQLite, true/false on PostgreSQL. */
  is_applied: number | boolean;
  /** Text on SQLite, a Date from a PostgreSQL `timestamp`. */
  tstamp: string | Date | null;
}

/** The versions goose counts as applied in this DB (see gooseAppliedFrom). */
export function gooseAppliedVersions(db: Db): GooseRow[] {
  return gooseAppliedFrom(db.prepare(`SELECT id, version_id, is_applied, tstamp FROM ${GOOSE_TABLE}`).all<GooseRow>());
}

/**
 * The versions goose counts as applied, the way goose decides it: the newest
 * row of each version wins (goose before v3 recorded a rollback as a new row
 * with is_applied = 0 instead of deleting), and version 0 is the table's
 * birth, not a migration. Rows as either engine returns them (ids and
 * versions may come as strings from a server's bigint).
 */
export function gooseAppliedFrom(rows: readonly GooseRow[]): GooseRow[] {
  const newestFirst = [...rows].sort((a, b) => Number(b.id) - Number(a.id));
  const seen = new Set<number>();
  const applied: GooseRow[] = [];
  for (const row of newestFirst) {
    const version = Number(row.version_id);
    if (version === 0 || seen.has(version)) continue;
    seen.add(version);
    if (row.is_applied === true || Number(row.is_applied) === 1) applied.push({ ...row, version_id: version });
  }
  return applied.sort((a, b) => a.version_id - b.version_id);
}

/**
 * Keeps goose_db_version in step with cairn's history, row for row as goose
 * would write it. Every call also fills in versions cairn has and goose's
 * table lacks (the mirror switched on for a DB cairn already migrated), so
 * goose never sees a gap it would call a missing migration.
 */
export const gooseMirror = {
  applied(db: Db, versions: readonly number[]): void {
    ensureGooseTable(db);
    const have = new Set(gooseAppliedVersions(db).map((r) => r.version_id));
    const want = [...new Set([...readHistory(db).map((h) => h.version), ...versions])].sort((a, b) => a - b);
    for (const version of want) if (!have.has(version)) gooseApplied(db, version);
  },
  reverted: gooseReverted,
  renamed: gooseRenamed,
};
