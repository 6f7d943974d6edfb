// The PostgreSQL half of openStores(), loaded only when a PostgreSQL store is declared.
import type { PostgresStore } from '../config/stores.js';
import type { MigrateResult } from '../migrations/migrator.js';
import { assertLintClean, reportOf } from '../lint/report.js';
import { migratePostgres, type PostgresMigrateOptions } from './migrate.js';

export { openPool } from './pool.js';

/** Every store planned (refusals throw) before any is changed; the ones with work, with their step counts. */
export async function planServers(
  stores: readonly PostgresStore[],
  options: { env?: NodeJS.ProcessEnv; force?: boolean },
): Promise<Array<{ store: PostgresStore; steps: number }>> {
  const plans = await Promise.all(
    stores.map(async (store) => {
      const plan = await migratePostgres(store, { dryRun: true, env: options.env, lintFresh: false });
      if (!options.force) assertLintClean(reportOf(store.name, plan.file, [], plan.lint));
      return { store, steps: plan.planned.length };
    }),
  );
  return plans.filter((p) => p.steps > 0);
}

export function migrateServer(store: PostgresStore, options: Pick<PostgresMigrateOptions, 'env' | 'onStep' | 'force'>): Promise<MigrateResult> {
  return migratePostgres(store, options);
}
