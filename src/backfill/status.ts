import path from 'node:path';
import { selectAnyStores, type StoreRegistry } from '../config/stores.js';
import { errorMessage } from '../errors.js';
import type { Db } from '../sqlite/db.js';
import { openDatabase } from '../sqlite/open.js';
import { readAllJobStates, readFailedItems, type JobState } from './state.js';
import type { Env } from '../migrations/envsub.js';
import type { BackfillJob } from './define.js';
import { readinessOf, type BackfillReadiness } from './readiness.js';
import { databaseExists } from '../sqlite/files.js';

export { backfillReadiness, readinessOf, type BackfillPhase, type BackfillReadiness } from './readiness.js';

export interface BackfillStatusEntry extends BackfillReadiness {
  store: string;
  /** Named in the config's `backfills`. */
  declared: boolean;
  failedItems: { file: string; error: string }[];
}

/** A job the config declares: the store its module targets, or why the module cannot be loaded. */
export type DeclaredJobs = Map<string, { target: string; job: BackfillJob } | { error: string }>;

/** Loads every job module the config names, to learn each one's target store. */
export async function declaredJobs(registry: StoreRegistry): Promise<DeclaredJobs> {
  const jobs: DeclaredJobs = new Map();
  for (const [name, file] of Object.entries(registry.backfills)) {
    try {
      const job = await (await import('./run.js')).loadBackfill(path.resolve(registry.root, file));
      jobs.set(name, { target: job.target, job });
    } catch (error) {
      jobs.set(name, { error: `the job module cannot be loaded: ${errorMessage(error)}` });
    }
  }
  return jobs;
}

/**
 * The jobs of one store, read on a connection the caller holds (the doctor's
 * read-only one): those with state in it, and those declared for it that never ran.
 */
export function storeJobEntries(db: Db | null, store: string, declared: DeclaredJobs, now: number = Date.now()): BackfillStatusEntry[] {
  return jobEntries(db ? readAllJobStates(db) : [], (job) => readFailedItems(db as Db, job), store, declared, now);
}

/** The entries of one store from its jobs' states, read by either engine, and the declared jobs that never ran in it. */
export function jobEntries(
  states: readonly JobState[],
  failedItems: (job: string) => { file: string; error: string }[],
  store: string,
  declared: DeclaredJobs,
  now: number,
): BackfillStatusEntry[] {
  const entries: BackfillStatusEntry[] = [];
  const seen = new Set<string>();
  for (const state of states) {
    seen.add(state.job);
    entries.push({ ...readinessOf(state.job, state, now), store, declared: declared.has(state.job), failedItems: failedItems(state.job) });
  }
  for (const [name, job] of declared) {
    if ('target' in job && job.target === store && !seen.has(name)) entries.push({ ...readinessOf(name, null, now), store, declared: true, failedItems: [] });
  }
  return entries.sort((a, b) => a.job.localeCompare(b.job));
}

/**
 * Every job of every store: those with state in a DB and those the config
 * declares that never ran. Only reads (a missing DB is not created).
 */
export async function backfillStatus(registry: StoreRegistry, options: { job?: string; now?: number; env?: Env } = {}): Promise<BackfillStatusEntry[]> {
  const now = options.now ?? Date.now();
  const declared = await declaredJobs(registry);
  const entries: BackfillStatusEntry[] = [];
  for (const [name, job] of declared) {
    if ('error' in job) entries.push({ ...readinessOf(name, null, now), reason: job.error, store: '?', declared: true, failedItems: [] });
    else if (!selectAnyStores(registry).some((s) => s.name === job.target)) {
      entries.push({
        ...readinessOf(name, null, now),
        reason: `its target store ${JSON.stringify(job.target)} is not in the config`,
        store: job.target,
        declared: true,
        failedItems: [],
      });
    }
  }
  for (const store of registry.stores) {
    const db = databaseExists(store.file) ? openDatabase(store.file, { readonly: true }) : null;
    try {
      entries.push(...storeJobEntries(db, store.name, declared, now));
    } finally {
      db?.close();
    }
  }
  // A server store is asked only when a declared job writes to it: --status must not need every server up.
  const targets = new Set([...declared.values()].flatMap((j) => ('target' in j ? [j.target] : [])));
  for (const store of (registry.postgres ?? []).filter((s) => targets.has(s.name))) {
    const { readPgJobs } = await import('../postgres/backfill-target.js');
    const { states, failed } = await readPgJobs(store, options.env);
    entries.push(...jobEntries(states, (job) => failed.get(job) ?? [], store.name, declared, now));
  }
  const selected = options.job ? entries.filter((e) => e.job === options.job) : entries;
  return selected.sort((a, b) => a.store.localeCompare(b.store) || a.job.localeCompare(b.job));
}
