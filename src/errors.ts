/**
 * Every failure cairn reports on purpose is a CairnError with a stable `code`.
 * The CLI maps codes to exit codes in one table (src/cli/exit-codes.ts); library
 * callers switch on `code` instead of parsing messages.
 */
export type CairnErrorCode =
  | 'E_CONFIG' // the config file is missing, unreadable or invalid
  | 'E_USAGE' // a caller asked for something contradictory
  | 'E_MIGRATION_SOURCE' // a migrations folder has a bad or duplicate file
  | 'E_MIGRATION_PARSE' // a migration file breaks the annotation grammar
  | 'E_CHECKSUM_MISMATCH' // an applied migration's file was edited
  | 'E_UNWRITTEN_MIGRATION' // a pending file is still the empty template `cairn new` wrote
  | 'E_NEWER_THAN_APP' // the DB has versions this app does not know
  | 'E_OUT_OF_ORDER' // a new file is numbered below the newest applied one
  | 'E_LEGACY_CHAIN' // the DB predates the baseline and its files are gone
  | 'E_UNMANAGED' // the DB has tables but no migration history cairn can read
  | 'E_NO_DOWN' // --to below current needs a Down section that does not exist
  | 'E_LOCKED' // another process holds the migration lock past the timeout
  | 'E_MIGRATION_FAILED' // a statement failed; the file was rolled back
  | 'E_INTERRUPTED' // a NO TRANSACTION file was killed or failed halfway; choose --recover restore or rerun
  | 'E_SCHEMA_BEHIND' // the DB needs migrations before this can run (pass --migrate, or run cairn migrate)
  | 'E_SOURCE' // an import source is missing, unreadable or not what the plan says
  | 'E_PLAN' // an import plan or backfill job module is missing or malformed
  | 'E_BACKFILL_LEASE_LOST' // another process took over the job mid-run (this run's lease expired)
  | 'E_NO_DATABASE' // a command that only reads found no database file for the store
  | 'E_SNAPSHOT' // a snapshot folder is missing, unfinished, or a line in it cannot be read
  | 'E_SNAPSHOT_CHECKSUM' // a snapshot file differs from its manifest (changed after export)
  | 'E_SNAPSHOT_SCHEMA' // the snapshot does not fit the target's schema (a table or column it lacks)
  | 'E_TARGET_EXISTS' // the file or folder to write already holds data (pass --force)
  | 'E_MOVE' // moveTable cannot move a table safely (a reference it would break, a source that keeps changing); the source is kept
  | 'E_ADOPT' // another tool's history does not match the store's files (or there is none to adopt); nothing was written
  | 'E_LINT' // a pending migration has an error-level lint finding (it certainly fails or loses data; pass --force)
  | 'E_CORRUPT' // a database file is damaged (SQLITE_CORRUPT, a failed quick_check); nothing was changed: see cairn doctor
  | 'E_PERMISSION' // a file or folder cairn must read or write is not accessible to this user (EACCES/EPERM)
  | 'E_BACKUP' // the copy taken before a change could not be written (a full disk); nothing was changed
  | 'E_DISK_FULL'; // the disk filled up mid-run: the batch being written was rolled back; free space and run again

/** Refusals happen before anything is written; failures happen mid-run. */
export class CairnError extends Error {
  readonly code: CairnErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: CairnErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CairnError';
    this.code = code;
    this.details = details;
  }
}

export function isCairnError(error: unknown): error is CairnError {
  return error instanceof CairnError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
