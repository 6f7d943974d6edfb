// Apart from the history readers: planning asks this of every unmanaged DB, and must not load the readers (or node:crypto) for it.
import { FLYWAY_TABLE, PLAIN_VERSION_TABLE, SQLX_TABLE } from '../migrations/foreign-tables.js';
import { hasGooseTable } from '../migrations/goose-table.js';
import type { Db } from '../sqlite/db.js';
import type { AdoptSource } from './sources.js';

/** Which other tool's history this DB carries, for the hint in a refusal of an unmanaged DB. */
export function detectForeignHistory(db: Db): AdoptSource | null {
  if (hasGooseTable(db)) return 'goose';
  if (hasTable(db, SQLX_TABLE)) return 'sqlx';
  if (hasTable(db, FLYWAY_TABLE) || (hasTable(db, PLAIN_VERSION_TABLE) && hasColumn(db, PLAIN_VERSION_TABLE, 'installed_rank'))) return 'flyway';
  if (hasTable(db, PLAIN_VERSION_TABLE) || Number(db.pragmaValue('user_version')) > 0) return 'plain-version';
  return null;
}

export function hasTable(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE").get(name) !== undefined;
}

export function hasColumn(db: Db, table: string, column: string): boolean {
  return db.prepare('SELECT 1 FROM pragma_table_info(?) WHERE name = ? COLLATE NOCASE').get(table, column) !== undefined;
}
