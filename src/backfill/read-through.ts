import type { Db } from '../sqlite/db.js';
import { errorMessage } from '../errors.js';
import { recordFallback, type FallbackReason } from './fallbacks.js';
import { backfillReadiness, type BackfillReadiness } from './readiness.js';

export interface ReadThroughOptions<T> {
  /** The read from the store's tables. Returning `undefined` means "not there" (see `missing`). */
  fromDb: () => T;
  /** The same read from the legacy files. */
  fromFiles: () => T;
  /**
   * What a completed job's `fromDb` returning `undefined` (or a promise of
   * it) means: `'files'` (default) reads the files too — the item may have
   * been added or failed since the backfill ran; `'undefined'` returns it as
   * the answer.
   */
  missing?: 'files' | 'undefined';
  /**
   * When `fromDb` throws (or rejects): `'throw'` (default) lets the error
   * through; `'files'` answers from the files and counts the fallback as
   * `db-error` with the message, which `cairn doctor` reports.
   */
  onDbError?: 'throw' | 'files';
  now?: number;
}

/** Where a read goes while the job is in this state, and why. */
export function readSourceOf(readiness: BackfillReadiness): { source: 'db' } | { source: 'files'; reason: FallbackReason } {
  if (readiness.complete) return { source: 'db' };
  if (readiness.phase === 'running') return { source: 'files', reason: 'running' };
  if (readiness.phase === 'interrupted') return { source: 'files', reason: 'interrupted' };
  return { source: 'files', reason: readiness.itemsDone === 0 && readiness.rowsDone === 0 ? 'not-started' : 'stopped' };
}

/**
 * The read-path rule of a store being filled by a backfill job: while the
 * job is not complete the files are the truth, so the read goes to
 * `fromFiles`; once it is, to `fromDb` (falling back to the files for
 * something the DB does not have). Deciding costs one indexed read of the
 * job's state on `db` (the store's connection). Every read that goes to the
 * files is counted, per job and reason, in the store (`cairn_read_fallbacks`),
 * and `cairn doctor` reports the last 24 hours.
 *
 * Works for synchronous and asynchronous reads alike: when `fromDb` returns
 * a promise, the "not there" and error rules apply to what it resolves to.
 */
export function readThrough<T>(db: Db, job: string, options: ReadThroughOptions<T>): T {
  const now = options.now ?? Date.now();
  const choice = readSourceOf(backfillReadiness(db, job, now));
  const files = (reason: FallbackReason, detail: string | null = null): T => {
    recordFallback(db, job, reason, detail, now);
    return options.fromFiles();
  };
  if (choice.source === 'files') return files(choice.reason);
  const missing = (options.missing ?? 'files') === 'files';
  const failed = (error: unknown): T => {
    if (options.onDbError !== 'files') throw error;
    return files('db-error', errorMessage(error));
  };
  let answer: T;
  try {
    answer = options.fromDb();
  } catch (error) {
    return failed(error);
  }
  if (isThenable(answer)) {
    return answer.then(
      (value: unknown) => (value === undefined && missing ? files('not-in-db') : value),
      (error: unknown) => failed(error),
    ) as T;
  }
  return answer === undefined && missing ? files('not-in-db') : answer;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
