import type { CairnErrorCode } from '../errors.js';

/** The exit-code contract, in one table (README "Exit codes"). */
export const EXIT = {
  ok: 0,
  /** Finished, but something failed: a migration that ran and failed, rows rejected, checks failed. */
  failed: 1,
  /** Refused before writing anything: a precondition failed. */
  refused: 2,
  /** The command line or the config is wrong. */
  usage: 64,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_CODE: Record<CairnErrorCode, ExitCode> = {
  E_CONFIG: EXIT.usage,
  E_USAGE: EXIT.usage,
  E_MIGRATION_SOURCE: EXIT.refused,
  E_MIGRATION_PARSE: EXIT.refused,
  E_CHECKSUM_MISMATCH: EXIT.refused,
  E_UNWRITTEN_MIGRATION: EXIT.refused,
  E_NEWER_THAN_APP: EXIT.refused,
  E_OUT_OF_ORDER: EXIT.refused,
  E_LEGACY_CHAIN: EXIT.refused,
  E_UNMANAGED: EXIT.refused,
  E_NO_DOWN: EXIT.refused,
  E_LOCKED: EXIT.refused,
  E_MIGRATION_FAILED: EXIT.failed,
  E_INTERRUPTED: EXIT.refused,
  E_SCHEMA_BEHIND: EXIT.refused,
  E_SOURCE: EXIT.refused,
  E_PLAN: EXIT.usage,
  E_BACKFILL_LEASE_LOST: EXIT.failed,
  E_NO_DATABASE: EXIT.refused,
  E_SNAPSHOT: EXIT.refused,
  E_SNAPSHOT_CHECKSUM: EXIT.refused,
  E_SNAPSHOT_SCHEMA: EXIT.refused,
  E_TARGET_EXISTS: EXIT.refused,
  E_LINT: EXIT.refused,
  E_ADOPT: EXIT.refused,
  E_MOVE: EXIT.failed,
  E_CORRUPT: EXIT.refused,
  E_PERMISSION: EXIT.refused,
  E_BACKUP: EXIT.refused,
  E_DISK_FULL: EXIT.failed,
};

export function exitCodeFor(code: string): ExitCode {
  return BY_CODE[code as CairnErrorCode] ?? EXIT.failed;
}
