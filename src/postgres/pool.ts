import { expandUrl, quotePgIdent, type PostgresTarget } from './target.js';

/**
 * What openStores() hands an app for a PostgreSQL store: a pg Pool whose
 * connections have the store's schema first on the search_path. Typed here,
 * with the part of pg's Pool an app needs, so cairndb's types do not depend
 * on @types/pg being installed.
 */
export interface PgPool {
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  /** A connection of its own, for a transaction: `release()` it when done. */
  connect(): Promise<PgPoolClient>;
  end(): Promise<void>;
}

export interface PgPoolClient {
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  release(error?: Error | boolean): void;
}

export async function openPool(store: PostgresTarget, env?: NodeJS.ProcessEnv): Promise<PgPool> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: expandUrl(store, env),
    application_name: `${store.name} (cairn)`,
    // A startup parameter, so every connection of the pool, and every reconnect, gets it before the app's first query.
    options: `-c search_path=${quotePgIdent(store.schema)},public`,
  });
  // An idle connection the server drops must not crash the app; the next query on the pool reconnects.
  pool.on('error', () => {});
  return pool as unknown as PgPool;
}
