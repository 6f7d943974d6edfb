// Apart from the history readers: planning asks this of every unmanaged DB, and must not load the readers (or node:crypto) for it.
import { FLYWAY_TABLE, PLAIN_VERSION_TABLE, SQLX_TABLE } from '../migrations/foreign-tables.js';
import { hasGooseTable } from '../migrations/goose-table.js';
import type { Db } from '../sqlite/db.js';
import type { AdoptSource } from './sources.js';

/** What a DB holds of other tools' histories. */
export interface ForeignTraces {
  goose: boolean;
  sqlx: boolean;
  flyway: boolean;
  schemaVersion: boolean;
  /** schema_version has Flyway's installed_rank: Flyway before v5. */
  schemaVersionRanked: boolean;
  userVersion: number;
}

/** Which other tool's history the traces show, for the hint in a refusal of an unmanaged DB (either engine). */
export function foreignHistoryOf(t: ForeignTraces): AdoptSource | null {
  if (t.goose) return 'goose';
  if (t.sqlx) return 'sqlx';
  if (t.flyway || t.schemaVersionRanked) return 'flyway';
  if (t.schemaVersion || t.userVersion > 0) return 'plain-version';
  return null;
}

export function detectForeignHistory(db: Db): AdoptSource | null {
  const schemaVersion = hasTable(db, PLAIN_VERSION_TABLE);
  return foreignHistoryOf({
    goose: hasGooseTable(db),
    sqlx: hasTable(db, SQLX_TABLE),
    flyway: hasTable(db, FLYWAY_TABLE),
    schemaVersion,
    schemaVersionRanked: schemaVersion && hasColumn(db, PLAIN_VERSION_TABLE, 'installed_rank'),
    userVersion: Number(db.pragmaValue('user_version')),
  });
}

export function hasTable(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE").get(name) !== undefined;
}

export function hasColumn(db: Db, table: string, column: string): boolean {
  return db.prepare('SELECT 1 FROM pragma_table_info(?) WHERE name = ? COLLATE NOCASE').get(table, column) !== undefined;
}
