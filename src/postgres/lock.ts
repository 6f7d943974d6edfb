import { CairnError } from '../errors.js';
import type { PgSession } from './session.js';

/**
 * The store's migration lock on a server: a session-scoped advisory lock
 * keyed by the schema. The server releases it when the session ends, so a
 * holder that was killed never leaves it behind; waiting is bounded by the
 * store's lockTimeoutMs through lock_timeout, which covers advisory locks.
 */
export async function withMigrationLock<T>(
  session: PgSession,
  store: { name: string; schema: string; lockTimeoutMs: number },
  fn: () => Promise<T>,
): Promise<T> {
  const release = await acquireMigrationLock(session, store);
  try {
    return await fn();
  } finally {
    await release();
  }
}

/** The advisory lock's key text for a schema (hashed by the server). */
export function migrationLockKey(schema: string): string {
  return `cairn:migrate:${schema}`;
}

/** Takes the store's migration lock (see withMigrationLock) and returns what frees it, for work longer than one call (an import). */
export async function acquireMigrationLock(session: PgSession, store: { name: string; schema: string; lockTimeoutMs: number }): Promise<() => Promise<void>> {
  const key = migrationLockKey(store.schema);
  if (store.lockTimeoutMs <= 0) {
    const [row] = await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [key]);
    if (!row?.ok) throw await lockedError(session, store, key);
  } else {
    await session.query(`SET lock_timeout = ${Math.ceil(store.lockTimeoutMs)}`);
    try {
      await session.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
    } catch (error) {
      if ((error as { code?: string }).code === '55P03') throw await lockedError(session, store, key);
      throw error;
    } finally {
      await session.query('RESET lock_timeout');
    }
  }
  return async () => {
    await session.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch(() => {});
  };
}

async function lockedError(session: PgSession, store: { name: string; schema: string; lockTimeoutMs: number }, key: string): Promise<CairnError> {
  const holders = await session.query<{ pid: number; application_name: string; client_addr: string | null; backend_start: Date }>(
    `SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr, a.backend_start
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)`,
    [key],
  );
  const who = holders.map((h) => `pid ${h.pid} (${h.application_name || 'no application name'}${h.client_addr ? ` from ${h.client_addr}` : ''})`).join(', ');
  return new CairnError(
    'E_LOCKED',
    `${store.name}: another session holds the migration lock of schema ${store.schema}${who ? `: ${who}` : ''}; waited ${store.lockTimeoutMs} ms. Wait for it to finish, or raise lockTimeoutMs`,
    { store: store.name, holders },
  );
}
