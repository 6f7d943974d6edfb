import type { Db } from '../sqlite/db.js';
import { quoteIdent } from '../sqlite/quote.js';
import { hasColumn, hasTable } from './detect.js';

/**
 * Where `cairn adopt` reads another tool's history: the tables of one
 * SQLite file or one PostgreSQL schema, behind the few questions the history
 * readers ask. Asynchronous because a server answers over the network; the
 * SQLite side answers at once.
 */
export interface ForeignTables {
  /** What to call the place in messages: the DB file, or `schema x on host/db`. */
  readonly where: string;
  /** Table names as they are found there (SQLite matches them without case, as it resolves names). */
  hasTable(name: string): Promise<boolean>;
  hasColumn(table: string, column: string): Promise<boolean>;
  /** Every row of `table`, columns in table order, ordered by `orderBy` (a column name) when given. */
  rows<T = Record<string, unknown>>(table: string, columns: readonly string[] | '*', orderBy?: string): Promise<T[]>;
  /** SQLite's `PRAGMA user_version`; absent where there is no such thing (a server). */
  userVersion?(): Promise<number>;
}

export function sqliteTables(db: Db): ForeignTables {
  return {
    where: db.file,
    hasTable: async (name) => hasTable(db, name),
    hasColumn: async (table, column) => hasColumn(db, table, column),
    rows: async <T>(table: string, columns: readonly string[] | '*', orderBy?: string) =>
      db
        .prepare(
          `SELECT ${columns === '*' ? '*' : columns.map(quoteIdent).join(', ')} FROM ${quoteIdent(table)}${orderBy ? ` ORDER BY ${quoteIdent(orderBy)}` : ''}`,
        )
        .all<T>(),
    userVersion: async () => Number(db.pragmaValue('user_version')),
  };
}
