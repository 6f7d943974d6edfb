// The PostgreSQL half of openStores(), loaded only when a PostgreSQL store is declared.
import type { PostgresStore } from '../config/stores.js';
import type { MigrateResult } from '../migrations/migrator.js';
import { migratePostgres, type PostgresMigrateOptions } from './migrate.js';

export { openPool } from './pool.js';

/** Every store planned (refusals throw) before any is changed; the ones with work, with their step counts. */
export async function planServers(
  stores: readonly PostgresStore[],
  options: { env?: NodeJS.ProcessEnv },
): Promise<Array<{ store: PostgresStore; steps: number }>> {
  const plans = await Promise.all(
    stores.map(async (store) => ({ store, steps: (await migratePostgres(store, { dryRun: true, env: options.env })).planned.length })),
  );
  return plans.filter((p) => p.steps > 0);
}

export function migrateServer(store: PostgresStore, options: Pick<PostgresMigrateOptions, 'env' | 'onStep'>): Promise<MigrateResult> {
  return migratePostgres(store, options);
}
