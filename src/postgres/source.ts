import { loadBaseline } from '../migrations/baseline.js';
import type { Env } from '../migrations/envsub.js';
import type { PlanInput } from '../migrations/plan.js';
import { loadMigrations } from '../migrations/source.js';
import type { PostgresTarget } from './target.js';

/** The store's files, parsed as PostgreSQL reads plain SQL. */
export function loadPostgresSource(target: PostgresTarget, env?: Env): Pick<PlanInput, 'migrations' | 'baseline'> {
  const migrations = target.migrations
    ? loadMigrations(target.migrations, {
        exclude: target.baseline ? [target.baseline.file] : [],
        env,
        key: `stores.${target.name}.migrations`,
        dialect: 'postgres',
      })
    : [];
  return { migrations, baseline: target.baseline ? loadBaseline(target.baseline, 'postgres') : undefined };
}
