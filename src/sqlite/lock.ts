import fs from 'node:fs';
import { CairnError } from '../errors.js';
import type { Db, DbFactory } from './db.js';
import { openBetterSqlite3 } from './driver-better-sqlite3.js';
import { canonicalPath, ensurePrivateFile, LOCK_SUFFIX } from './files.js';

export interface WriteLockOptions {
  /** How long to wait for another holder, in ms. */
  timeoutMs: number;
  driver?: DbFactory;
}

/** The sidecar file that carries a store's migration lock, beside the real file: a path through a symlink shares it. */
export function lockFileFor(dbFile: string): string {
  return `${canonicalPath(dbFile)}${LOCK_SUFFIX}`;
}

/**
 * A cross-process lock held for a whole check → apply → record run.
 *
 * It is SQLite's own EXCLUSIVE lock on a small sidecar database (rollback
 * journal, never written), so: it spans any number of transactions on the
 * real DB and covers NO TRANSACTION files (VACUUM) that cannot run inside one;
 * waiting uses SQLite's busy handler; and the OS frees it when the holder
 * dies, so a SIGKILLed migrator never leaves a stale lock.
 */
export class WriteLock {
  private constructor(private readonly db: Db) {}

  static acquire(dbFile: string, options: WriteLockOptions): WriteLock {
    const file = lockFileFor(dbFile);
    ensurePrivateFile(file);
    const db = (options.driver ?? openBetterSqlite3)(file);
    try {
      db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.timeoutMs))}`);
      db.exec('PRAGMA journal_mode = DELETE');
      db.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      db.close();
      if (isBusy(error)) {
        throw new CairnError(
          'E_LOCKED',
          `${dbFile} is locked by another cairn process migrating or importing it (lock ${file} held for more than ${options.timeoutMs} ms); wait for it to finish, or raise lockTimeoutMs`,
          { file: dbFile, lockFile: file, timeoutMs: options.timeoutMs },
          { cause: error },
        );
      }
      throw error;
    }
    return new WriteLock(db);
  }

  /**
   * The lock at once, or null when another connection holds it. Creates
   * nothing: with no lock file, no one can hold it, and null is not returned.
   */
  static tryAcquire(dbFile: string): WriteLock | { free: true } | null {
    if (!fs.existsSync(lockFileFor(dbFile))) return { free: true };
    try {
      return WriteLock.acquire(dbFile, { timeoutMs: 0 });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'E_LOCKED') return null;
      throw error;
    }
  }

  /** Runs fn while holding the lock; the lock is freed however fn ends. */
  static async with<T>(dbFile: string, options: WriteLockOptions, fn: () => Promise<T> | T): Promise<T> {
    const lock = WriteLock.acquire(dbFile, options);
    try {
      return await fn();
    } finally {
      lock.release();
    }
  }

  release(): void {
    try {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
    } finally {
      this.db.close();
    }
  }
}

export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}
