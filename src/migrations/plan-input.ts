import { detectForeignHistory } from '../adopt/detect.js';
import type { ResolvedStore } from '../config/stores.js';
import type { Db } from '../sqlite/db.js';
import { loadBaseline } from './baseline.js';
import type { Env } from './envsub.js';
import { hasHistory, readHistory, userTableCount } from './history.js';
import type { PlanInput } from './plan.js';
import { loadMigrations } from './source.js';
import type { Migration } from './types.js';

/** The store's files as the engine sees them (the baseline file is never a migration). */
export function readStoreSource(store: ResolvedStore, env?: Env): { migrations: Migration[]; baseline: ReturnType<typeof loadBaseline> | undefined } {
  const migrations = store.migrations
    ? loadMigrations(store.migrations, { exclude: store.baseline ? [store.baseline.file] : [], env, key: `stores.${store.name}.migrations` })
    : [];
  return { migrations, baseline: store.baseline ? loadBaseline(store.baseline) : undefined };
}

/** What planning reads: the store's files, the DB's history, and whether the DB is fresh (no history, no app tables; none at all counts). */
export function planInput(store: ResolvedStore, db: Db | null, env?: Env): PlanInput {
  const { migrations, baseline } = readStoreSource(store, env);
  const applied = db ? readHistory(db) : [];
  const fresh = applied.length === 0 && (db === null || userTableCount(db) === 0);
  const managed = db !== null && hasHistory(db);
  const foreignHistory = db && applied.length === 0 && !fresh && !managed ? detectForeignHistory(db) : null;
  return { migrations, applied, baseline, fresh, managed, foreignHistory };
}
