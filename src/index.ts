export { defineStores, selectStores } from './config/stores.js';
export type { StoreRegistry, ResolvedStore, ResolveOptions } from './config/stores.js';
export type { CairnConfig, StoreConfig } from './config/schema.js';
export { loadConfig, findConfig } from './config/load.js';
export { openStores } from './stores/open-stores.js';
export type { OpenStores, OpenStoresOptions } from './stores/open-stores.js';
export { migrateStore, assertMigrated, storeStatus, planMigration, parseMigration, checksum } from './migrations/index.js';
export type {
  MigrateOptions,
  MigrateResult,
  PlannedStep,
  FailedStep,
  StoreStatus,
  MigrationPlan,
  SchemaState,
  Migration,
  AppliedMigration,
  StepResult,
} from './migrations/index.js';
export { openDatabase } from './sqlite/open.js';
export type { Db, Statement, SqlValue, SqlParam, NamedParams, Row } from './sqlite/db.js';
export type { Pragmas } from './sqlite/pragmas.js';
export { quoteIdent } from './sqlite/quote.js';
export { CairnError, isCairnError } from './errors.js';
export type { CairnErrorCode } from './errors.js';
export { defineImport, source } from './importers/define.js';
export type {
  ImportPlan,
  ImportMode,
  SourceSpec,
  SourceRecord,
  RecordOrigin,
  MapFn,
  MapResult,
  MapContext,
  ImportRow,
  ImportValue,
  CopyStep,
} from './importers/define.js';
export { runImport, loadPlan, resolvePlanPath } from './importers/run.js';
export type { RunImportOptions, ImportSummary, ImportProgress, SourceSummary } from './importers/run.js';
export type { TableCounts } from './importers/writer.js';
export type { CopyCounts } from './importers/copy.js';
export type { RejectEntry } from './importers/produce.js';
export { defineBackfill } from './backfill/define.js';
export type { BackfillJob, BackfillItem, BackfillRecord, BackfillContext, BackfillMapFn, BackfillMapResult } from './backfill/define.js';
export { runBackfill, startBackfill, loadBackfill, resolveJobPath } from './backfill/run.js';
export type { RunBackfillOptions, BackfillResult, BackfillRun, BackfillProgress, BackfillItemCounts } from './backfill/run.js';
export { backfillReadiness, backfillStatus, storeJobEntries, declaredJobs } from './backfill/status.js';
export type { BackfillReadiness, BackfillPhase, BackfillStatusEntry, DeclaredJobs } from './backfill/status.js';
export { runDoctor } from './doctor/run.js';
export { DEFAULT_THRESHOLDS } from './doctor/types.js';
export type { DoctorReport, DoctorCheck, DoctorOptions, DoctorThresholds, CheckStatus } from './doctor/types.js';
export { tailTable, storeWithTable, DEFAULT_TAIL_LINES, DEFAULT_POLL_MS } from './tail/tail.js';
export type { TailOptions } from './tail/tail.js';
export { buildTailQuery, lastRows, rowsAfter } from './tail/query.js';
export type { TailFilters, TailQuery, TailRow } from './tail/query.js';
export { exportStore, exportSnapshot } from './snapshot/export.js';
export type { ExportOptions, ExportResult } from './snapshot/export.js';
export { restoreSnapshot } from './snapshot/restore.js';
export type { RestoreOptions, RestoreResult, RestoredTable } from './snapshot/restore.js';
export { cutoverStore } from './snapshot/cutover.js';
export type { CutoverOptions, CutoverResult, CutoverPhase } from './snapshot/cutover.js';
export { verifyStores, VERIFY_CHECKS } from './snapshot/verify.js';
export type { VerifyOptions } from './snapshot/verify.js';
export { compareWithSnapshot } from './snapshot/compare.js';
export type { SnapshotComparison, TableComparison } from './snapshot/compare.js';
export { readManifest, verifySnapshotFiles, MANIFEST_FILE } from './snapshot/manifest.js';
export type { SnapshotManifest, SnapshotTable, SnapshotColumn } from './snapshot/manifest.js';
export { lintStore } from './lint/store.js';
export type { LintOptions } from './lint/store.js';
export { lintMigrations } from './lint/lint.js';
export type { LintInput } from './lint/lint.js';
export type { LintReport } from './lint/report.js';
export { LINT_RULES } from './lint/types.js';
export type { LintFinding, LintRule, LintSeverity } from './lint/types.js';
export { rebuildTable, assertForeignKeys } from './schema/rebuild.js';
export type { RebuildSpec, RebuildResult } from './schema/rebuild.js';
export { moveTable } from './schema/move-table.js';
export type { MoveTableOptions, MoveTableResult, MoveProgress } from './schema/move-table.js';
export type { MigrationContext } from './migrations/context.js';
export { adoptStore } from './adopt/adopt.js';
export type { AdoptOptions, AdoptResult, AdoptMismatch } from './adopt/adopt.js';
export { ADOPT_SOURCES } from './adopt/read-history.js';
export type { AdoptSource } from './adopt/read-history.js';
export { writeBaseline } from './schema/write-baseline.js';
export type { BaselineOptions, BaselineResult } from './schema/write-baseline.js';
export { schemaDump } from './schema/dump.js';
export type { SchemaObject } from './schema/dump.js';
