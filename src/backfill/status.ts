import path from 'node:path';
import type { StoreRegistry } from '../config/stores.js';
import { errorMessage } from '../errors.js';
import type { Db } from '../sqlite/db.js';
import { openDatabase } from '../sqlite/open.js';
import { loadBackfill } from './run.js';
import { leaseIsLive, readAllJobStates, readFailedItems, readJobState, type JobState } from './state.js';
import { databaseExists } from '../sqlite/files.js';

/**
 * Where a job stands, as an app asks at startup: read from the DB once
 * `complete`, from its files before that.
 * - `complete`: every item listed by the last run was read (failed items are counted apart);
 * - `running`: a process holds the lease right now;
 * - `interrupted`: a run stopped without releasing its lease (killed); the next run resumes;
 * - `pending`: never run, or stopped before the end; the next run resumes.
 */
export type BackfillPhase = 'complete' | 'running' | 'interrupted' | 'pending';

export interface BackfillReadiness {
  job: string;
  complete: boolean;
  phase: BackfillPhase;
  /** One line saying why the job is not complete (or what completed with it). */
  reason: string;
  itemsDone: number;
  itemsFailed: number;
  rowsDone: number;
  rejected: number;
  rejectsFile: string | null;
  lastWatermark: string | null;
  lastSuccessAt: string | null;
  lease: { owner: string; expiresAt: string } | null;
}

/** One indexed read on the app's own connection: cheap enough to ask before every read that could fall back to files. */
export function backfillReadiness(db: Db, job: string, now: number = Date.now()): BackfillReadiness {
  return readinessOf(job, readJobState(db, job), now);
}

function readinessOf(job: string, state: JobState | null, now: number): BackfillReadiness {
  const base = {
    job,
    itemsDone: state?.itemsDone ?? 0,
    itemsFailed: state?.itemsFailed ?? 0,
    rowsDone: state?.rowsDone ?? 0,
    rejected: state?.rejected ?? 0,
    rejectsFile: state && state.rejected > 0 ? state.rejectsFile : null,
    lastWatermark: state?.lastWatermark ?? null,
    lastSuccessAt: state?.lastSuccessAt ?? null,
    lease: null as BackfillReadiness['lease'],
  };
  if (!state) return { ...base, complete: false, phase: 'pending', reason: 'never run' };
  const live = leaseIsLive(state, now);
  if (live) base.lease = { owner: state.leaseOwner as string, expiresAt: new Date(state.leaseExpiresAt as number).toISOString() };
  const failed = state.itemsFailed > 0 ? `; ${state.itemsFailed} item(s) could not be read (a later run retries them)` : '';
  if (state.status === 'complete' && !live) return { ...base, complete: true, phase: 'complete', reason: `complete at ${state.lastSuccessAt}${failed}` };
  if (live) return { ...base, complete: false, phase: 'running', reason: `running in ${state.leaseOwner}; ${state.itemsDone} item(s) done so far${failed}` };
  if (state.status === 'running') {
    return {
      ...base,
      complete: false,
      phase: 'interrupted',
      reason: `the last run stopped without finishing (killed?) after ${state.itemsDone} item(s); the next run resumes${failed}`,
    };
  }
  return { ...base, complete: false, phase: 'pending', reason: `stopped before the end after ${state.itemsDone} item(s); the next run resumes${failed}` };
}

export interface BackfillStatusEntry extends BackfillReadiness {
  store: string;
  /** Named in the config's `backfills`. */
  declared: boolean;
  failedItems: { file: string; error: string }[];
}

/** A job the config declares: the store its module targets, or why the module cannot be loaded. */
export type DeclaredJobs = Map<string, { target: string } | { error: string }>;

/** Loads every job module the config names, to learn each one's target store. */
export async function declaredJobs(registry: StoreRegistry): Promise<DeclaredJobs> {
  const jobs: DeclaredJobs = new Map();
  for (const [name, file] of Object.entries(registry.backfills)) {
    try {
      jobs.set(name, { target: (await loadBackfill(path.resolve(registry.root, file))).target });
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
  const entries: BackfillStatusEntry[] = [];
  const seen = new Set<string>();
  for (const state of db ? readAllJobStates(db) : []) {
    seen.add(state.job);
    entries.push({ ...readinessOf(state.job, state, now), store, declared: declared.has(state.job), failedItems: readFailedItems(db as Db, state.job) });
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
export async function backfillStatus(registry: StoreRegistry, options: { job?: string; now?: number } = {}): Promise<BackfillStatusEntry[]> {
  const now = options.now ?? Date.now();
  const declared = await declaredJobs(registry);
  const entries: BackfillStatusEntry[] = [];
  for (const [name, job] of declared) {
    if ('error' in job) entries.push({ ...readinessOf(name, null, now), reason: job.error, store: '?', declared: true, failedItems: [] });
    else if (!registry.stores.some((s) => s.name === job.target)) {
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
  const selected = options.job ? entries.filter((e) => e.job === options.job) : entries;
  return selected.sort((a, b) => a.store.localeCompare(b.store) || a.job.localeCompare(b.job));
}
