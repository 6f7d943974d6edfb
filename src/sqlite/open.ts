import path from 'node:path';
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
  if (options.readonly) {
    const db = driver(absolute, { readonly: true, fileMustExist: true });
    db.exec(`PRAGMA busy_timeout = ${options.pragmas?.busy_timeout ?? 5000}`);
    return db;
  }
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
