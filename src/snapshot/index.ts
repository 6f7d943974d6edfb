// `cairndb/snapshot`: engine-neutral snapshots (export, restore, verify) and cutover.
export { exportStore, exportSnapshot } from './export.js';
export type { ExportOptions, ExportProgress, ExportResult } from './export.js';
export { StoppedError } from '../stopped.js';
export { exportPostgres } from '../postgres/export.js';
export { restoreSnapshot } from './restore.js';
export { restorePostgres } from '../postgres/restore.js';
export type { RestoreOptions, RestoreResult, RestoredTable } from './restore.js';
export { cutoverStore } from './cutover.js';
export { cutoverInto, movedTo } from '../postgres/cutover-into.js';
export type { CutoverIntoOptions, CutoverIntoResult, StoreMove } from '../postgres/cutover-into.js';
export type { CutoverOptions, CutoverResult, CutoverPhase } from './cutover.js';
export { verifyStores, VERIFY_CHECKS } from './verify.js';
export type { VerifyOptions } from './verify.js';
export { compareWithSnapshot } from './compare.js';
export type { SnapshotComparison, TableComparison } from './compare.js';
export { readManifest, verifySnapshotFiles, MANIFEST_FILE } from './manifest.js';
export type { SnapshotManifest, SnapshotTable, SnapshotColumn } from './manifest.js';
