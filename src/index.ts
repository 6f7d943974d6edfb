// The library entry, `cairndb`: what an app needs at startup, loaded at once,
// and the heavy operations as async functions whose code loads on first call.
// Every app start pays for what this file imports statically, so it imports
// only the startup path (config, openStores, the driver). Each area's full API,
// its synchronous helpers included, is a subpath: cairndb/migrations,
// cairndb/import, cairndb/backfill, cairndb/snapshot, cairndb/doctor, cairndb/tail.
import { lazy } from './lazy.js';

export { defineStores, selectStores } from './config/stores.js';
export type { StoreRegistry, ResolvedStore, ResolveOptions, RetentionPolicy } from './config/stores.js';
export type { PruneOptions, PruneResult, PrunedTable } from './retention/prune.js';
export type { BackgroundPruneOptions } from './retention/background.js';
export type { CairnConfig, StoreConfig, PostgresStoreConfig } from './config/schema.js';
export { loadConfig, findConfig } from './config/load.js';
export type { LoadConfigOptions } from './config/load.js';
export { openStores } from './stores/open-stores.js';
export type { OpenStores, OpenStoresOptions, OpenStoresProgress } from './stores/open-stores.js';
export type { PgPool, PgPoolClient } from './postgres/pool.js';
export type { PostgresStore } from './config/stores.js';
export { openDatabase } from './sqlite/open.js';
export type { OpenDatabaseOptions } from './sqlite/open.js';
export type { Db, Statement, SqlValue, SqlParam, NamedParams, Row } from './sqlite/db.js';
export type { Pragmas } from './sqlite/pragmas.js';
export { quoteIdent } from './sqlite/quote.js';
export { CairnError, isCairnError } from './errors.js';
export { StoppedError } from './stopped.js';
export type { CairnErrorCode } from './errors.js';
export { assertMigrated } from './migrations/assert-migrated.js';
export type { MigrateOptions, MigrateResult, PlannedStep, FailedStep, StepResult } from './migrations/index.js';

// Declaring plans and jobs is cheap (plain objects); running them is not.
export { defineImport, source } from './importers/define.js';
// A JSONL member stored as the line wrote it, without a parse → stringify round trip (a map's fast path for payloads).
export { rawJson } from './importers/json-text.js';
export type { JsonText } from './importers/json-text.js';
export type { ImportPlan, SourceSpec, SourceRecord, MapFn, MapResult, MapContext, ImportRow } from './importers/define.js';
export { defineBackfill } from './backfill/define.js';
export type { BackfillJob, BackfillRecord, BackfillContext, BackfillMapFn, BackfillMapResult } from './backfill/define.js';
// The read-path check an app makes at startup: a few indexed reads, no job code.
export { backfillReadiness } from './backfill/readiness.js';
export type { BackfillReadiness, BackfillPhase } from './backfill/readiness.js';
// DB-first reads with the files as the fallback while a job is not complete, each fallback counted for doctor.
export { readThrough, readSourceOf } from './backfill/read-through.js';
export type { ReadThroughOptions } from './backfill/read-through.js';
export { flushFallbacks } from './backfill/fallbacks.js';
export type { FallbackReason } from './backfill/fallbacks.js';

type Api<M, K extends keyof M> = M[K];

/** Applies a store's pending migrations (see cairndb/migrations). */
export const migrateStore: Api<typeof import('./migrations/migrator.js'), 'migrateStore'> = lazy(
  async () => (await import('./migrations/migrator.js')).migrateStore,
);
/** Runs an import plan (see cairndb/import). */
export const runImport: Api<typeof import('./importers/run.js'), 'runImport'> = lazy(async () => (await import('./importers/run.js')).runImport);
/** Loads an import plan module. */
export const loadPlan: Api<typeof import('./importers/run.js'), 'loadPlan'> = lazy(async () => (await import('./importers/run.js')).loadPlan);
/** Runs a backfill job to the end (see cairndb/backfill; startBackfill runs one in the background). */
export const runBackfill: Api<typeof import('./backfill/run.js'), 'runBackfill'> = lazy(async () => (await import('./backfill/run.js')).runBackfill);
/** Loads a backfill job module. */
export const loadBackfill: Api<typeof import('./backfill/run.js'), 'loadBackfill'> = lazy(async () => (await import('./backfill/run.js')).loadBackfill);
/** Every declared backfill job's state. */
export const backfillStatus: Api<typeof import('./backfill/status.js'), 'backfillStatus'> = lazy(
  async () => (await import('./backfill/status.js')).backfillStatus,
);
/** Checks every store (see cairndb/doctor). */
export const runDoctor: Api<typeof import('./doctor/run.js'), 'runDoctor'> = lazy(async () => (await import('./doctor/run.js')).runDoctor);
/** Follows a table's newest rows (see cairndb/tail). */
export const tailTable: Api<typeof import('./tail/tail.js'), 'tailTable'> = lazy(async () => (await import('./tail/tail.js')).tailTable);
/** Deletes what a store's declared retention no longer keeps (see docs/stores.md, retention). */
export const pruneStore: Api<typeof import('./retention/prune.js'), 'pruneStore'> = lazy(async () => (await import('./retention/prune.js')).pruneStore);
/** Writes a store to a snapshot folder (see cairndb/snapshot). */
export const exportStore: Api<typeof import('./snapshot/export.js'), 'exportStore'> = lazy(async () => (await import('./snapshot/export.js')).exportStore);
/** Restores a snapshot into a store (see cairndb/snapshot). */
export const restoreSnapshot: Api<typeof import('./snapshot/restore.js'), 'restoreSnapshot'> = lazy(
  async () => (await import('./snapshot/restore.js')).restoreSnapshot,
);
/** Replaces a store with a verified copy of itself. */
export const cutoverStore: Api<typeof import('./snapshot/cutover.js'), 'cutoverStore'> = lazy(async () => (await import('./snapshot/cutover.js')).cutoverStore);
/** Checks stores against their snapshots or themselves. */
export const verifyStores: Api<typeof import('./snapshot/verify.js'), 'verifyStores'> = lazy(async () => (await import('./snapshot/verify.js')).verifyStores);
/** Moves a table from one store to another (see cairndb/migrations). */
export const moveTable: Api<typeof import('./schema/move-table.js'), 'moveTable'> = lazy(async () => (await import('./schema/move-table.js')).moveTable);
/** Takes over another tool's migration history (see cairndb/migrations). */
export const adoptStore: Api<typeof import('./adopt/adopt.js'), 'adoptStore'> = lazy(async () => (await import('./adopt/adopt.js')).adoptStore);
