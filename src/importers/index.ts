// `cairndb/import`: moving legacy flat files and SQLite files into the stores.
export { defineImport, source } from './define.js';
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
} from './define.js';
export { runImport, loadPlan, resolvePlanPath } from './run.js';
export type { RunImportOptions, ImportSummary, ImportProgress, SourceSummary } from './run.js';
export type { TableCounts } from './writer.js';
export type { CopyCounts } from './copy.js';
export type { RejectEntry } from './produce.js';
export { rawJson } from './json-text.js';
export type { JsonText } from './json-text.js';
