import { isPostgresStore, type PostgresStore, type ResolvedStore } from '../config/stores.js';
import { CairnError, errorMessage } from '../errors.js';
import { databaseExists } from '../sqlite/files.js';
import { openDatabase } from '../sqlite/open.js';

/** What `cairn sql` ran and got: rows as arrays in column order (two columns may share a name), or a count of changed rows. */
export interface SqlResult {
  store: string;
  /** The result's columns; empty for a statement that returns no rows. */
  columns: string[];
  rows: unknown[][];
  /** Rows a statement without a result changed (INSERT, UPDATE, DELETE), or null. */
  changes: number | null;
  /** The statement ran on a connection that may write (`--write`). */
  write: boolean;
}

export interface SqlOptions {
  /** Allow statements that change the database (default: read-only, refused before anything runs). */
  write?: boolean;
  /** Where a PostgreSQL store's URL takes its `${NAME}` parts. */
  env?: NodeJS.ProcessEnv;
}

/**
 * One SQL statement on a store, so an operator need not know where each
 * store's file (or schema) is. Read-only unless `write`: on SQLite the file is
 * opened read-only and a statement that would write is refused before it
 * runs; on PostgreSQL it runs in a READ ONLY transaction. Parameters bind to
 * `?` (SQLite) or `$1…` (PostgreSQL) as text, never pasted into the SQL.
 */
export async function runSql(store: ResolvedStore | PostgresStore, sql: string, params: readonly string[], options: SqlOptions = {}): Promise<SqlResult> {
  if (isPostgresStore(store)) return (await import('../postgres/sql.js')).runPostgresSql(store, sql, params, options);
  return runSqliteSql(store, sql, params, options);
}

function runSqliteSql(store: ResolvedStore, sql: string, params: readonly string[], options: SqlOptions): SqlResult {
  if (!databaseExists(store.file)) {
    throw new CairnError('E_NO_DATABASE', `${store.name}: ${store.file} does not exist yet; run cairn migrate (or start the app) first`, {
      store: store.name,
      file: store.file,
    });
  }
  const write = Boolean(options.write);
  const db = write ? openDatabase(store.file, { pragmas: store.pragmas }) : openDatabase(store.file, { readonly: true });
  try {
    const stmt = refusedAsUsage(store.name, () => db.prepare(sql));
    if (!write && !stmt.readonly) {
      throw new CairnError('E_USAGE', `${store.name}: this statement changes the database, and cairn sql only reads unless --write; nothing was run`, {
        store: store.name,
      });
    }
    if (stmt.reader) {
      const rows = refusedAsUsage(store.name, () => stmt.allValues(...params));
      return { store: store.name, columns: stmt.columnNames(), rows, changes: null, write };
    }
    const { changes } = refusedAsUsage(store.name, () => stmt.run(...params));
    return { store: store.name, columns: [], rows: [], changes, write };
  } finally {
    db.close();
  }
}

/**
 * The statement's own mistakes (a syntax error, a table that is not there,
 * the wrong number of parameters) are the user's, exit 64 with SQLite's
 * words; anything else (a damaged file, a full disk) goes on as it is.
 */
function refusedAsUsage<T>(store: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const statements = typeof code === 'string' && (USER_CODES.has(code) || code.startsWith('SQLITE_CONSTRAINT'));
    // better-sqlite3 says "Too few parameter values" or "more than one statement" with a RangeError.
    if (statements || error instanceof RangeError) {
      throw new CairnError('E_USAGE', `${store}: SQLite refused the statement: ${errorMessage(error)}`, { store, sqliteCode: code ?? null }, { cause: error });
    }
    throw error;
  }
}

// CANTOPEN here is an ATTACH of a file that is not there (the store's own file is already open).
const USER_CODES = new Set(['SQLITE_ERROR', 'SQLITE_RANGE', 'SQLITE_MISMATCH', 'SQLITE_READONLY', 'SQLITE_AUTH', 'SQLITE_CANTOPEN']);
