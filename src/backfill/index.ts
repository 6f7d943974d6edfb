// `cairndb/backfill`: large histories (JSONL transcripts) into a store, resumable and kill-proof.
export { defineBackfill } from './define.js';
export type { BackfillJob, BackfillItem, BackfillRecord, BackfillContext, BackfillMapFn, BackfillMapResult } from './define.js';
export { runBackfill, startBackfill, loadBackfill, resolveJobPath } from './run.js';
export type { RunBackfillOptions, BackfillResult, BackfillRun, BackfillProgress, BackfillItemCounts } from './run.js';
export { backfillReadiness, backfillStatus, storeJobEntries, declaredJobs } from './status.js';
export type { BackfillReadiness, BackfillPhase, BackfillStatusEntry, DeclaredJobs } from './status.js';
export { readThrough, readSourceOf } from './read-through.js';
export type { ReadThroughOptions } from './read-through.js';
export { flushFallbacks, readFallbacks } from './fallbacks.js';
export type { FallbackReason, FallbackSummary } from './fallbacks.js';
