import path from 'node:path';
import { CairnError, errorMessage } from '../errors.js';
import type { Db, DbFactory } from './db.js';
import { openBetterSqlite3 } from './driver-better-sqlite3.js';
import { ensurePrivateFile } from './files.js';
import { pragmaStatements, type Pragmas } from './pragmas.js';

export interface OpenDatabaseOptions {
  pragmas?: Pragmas;
  readonly?: boolean;
  /** Injected driver; defaults to better-sqlite3. */
  driver?: DbFactory;
}

/**
 * Opens (creating when absent, mode 0600) a database and applies its pragmas.
 * A read-only open never creates the file and skips pragmas that write.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Db {
  const driver = options.driver ?? openBetterSqlite3;
  const absolute = path.resolve(file);
  if (options.readonly) return openReadOnly(absolute, driver, Number(options.pragmas?.busy_timeout ?? 5000));
  ensurePrivateFile(absolute);
  const db = driver(absolute);
  try {
    // One exec for all of them: this runs on every app start.
    db.exec(pragmaStatements(options.pragmas ?? {}).join(';\n'));
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * A read-only connection cannot roll back a hot journal (a writer killed
 * mid-transaction under a rollback journal), nor recover a WAL whose index is
 * gone: SQLite refuses it every read with SQLITE_READONLY_ROLLBACK /
 * _RECOVERY. Any ordinary reader would have rolled it back, so this does what
 * that reader would: one read-write connection reads (SQLite rolls the
 * journal back, restoring the last committed state), then the read-only
 * connection is opened again. No committed data changes.
 */
function openReadOnly(file: string, driver: DbFactory, busyTimeoutMs: number): Db {
  const open = (): Db => {
    const db = driver(file, { readonly: true, fileMustExist: true });
    try {
      db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      return db;
    } catch (error) {
      db.close();
      throw error;
    }
  };
  try {
    return open();
  } catch (error) {
    if (!needsRecovery(error)) throw error;
    recoverByReading(file, driver, busyTimeoutMs, error);
    return open();
  }
}

function needsRecovery(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_READONLY_ROLLBACK' || code === 'SQLITE_READONLY_RECOVERY';
}

function recoverByReading(file: string, driver: DbFactory, busyTimeoutMs: number, cause: unknown): void {
  let db: Db;
  try {
    db = driver(file, { fileMustExist: true });
  } catch (error) {
    throw new CairnError(
      'E_PERMISSION',
      `${file}: a process that was writing it died mid-transaction, and its journal must be rolled back before it can be read; this user cannot write the file (${errorMessage(error)}). Run cairn once as the file's owner, or fix its permissions`,
      { file },
      { cause },
    );
  }
  try {
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } finally {
    db.close();
  }
}
