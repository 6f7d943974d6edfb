import type { Db } from './db.js';

/**
 * Runs fn inside one read transaction, so every read it makes sees the same
 * moment even while another process commits (history and schema read
 * separately could otherwise straddle a migration). No-op for no database.
 */
export function inReadTransaction<T>(db: Db | null, fn: () => T): T {
  if (!db) return fn();
  db.exec('BEGIN');
  try {
    return fn();
  } finally {
    if (db.inTransaction) db.exec('COMMIT');
  }
}

/** inReadTransaction for work that awaits between its reads (an export yielding to the event loop): the same one moment. */
export async function inReadTransactionAsync<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  db.exec('BEGIN');
  try {
    return await fn();
  } finally {
    if (db.inTransaction) db.exec('COMMIT');
  }
}
