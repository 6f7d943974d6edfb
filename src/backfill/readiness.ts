import type { Db } from '../sqlite/db.js';
import { leaseIsLive, readJobState, type JobState } from './state.js';
import { plural } from '../words.js';

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

export function readinessOf(job: string, state: JobState | null, now: number): BackfillReadiness {
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
  const failed =
    state.itemsFailed > 0 ? `; ${plural(state.itemsFailed, 'item')} could not be read (a later run retries ${state.itemsFailed === 1 ? 'it' : 'them'})` : '';
  if (state.status === 'complete' && !live) return { ...base, complete: true, phase: 'complete', reason: `complete at ${state.lastSuccessAt}${failed}` };
  if (live)
    return { ...base, complete: false, phase: 'running', reason: `running in ${state.leaseOwner}; ${plural(state.itemsDone, 'item')} done so far${failed}` };
  if (state.status === 'running') {
    return {
      ...base,
      complete: false,
      phase: 'interrupted',
      reason: `the last run stopped without finishing (killed?) after ${plural(state.itemsDone, 'item')}; the next run resumes${failed}`,
    };
  }
  return {
    ...base,
    complete: false,
    phase: 'pending',
    reason: `stopped before the end after ${plural(state.itemsDone, 'item')}; the next run resumes${failed}`,
  };
}
