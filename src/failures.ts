import { CairnError, errorMessage, isCairnError } from './errors.js';
import { isCorruptError } from './sqlite/integrity.js';

/**
 * The failures any command can meet that are the machine's, not cairn's:
 * named as such, with what to do, instead of a raw SQLite or Node error and
 * a stack. Everything cairn writes is a whole transaction (or a temporary
 * name renamed when complete), so a failure mid-run leaves what committed
 * before it and nothing half-written; every command is safe to run again.
 */
export function asCairnError(error: unknown): unknown {
  if (isCairnError(error)) return error;
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  if (isCorruptError(error)) {
    return new CairnError('E_CORRUPT', `the database is damaged (${errorMessage(error)}); run cairn doctor for what and how to recover`, {}, { cause: error });
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') {
    return new CairnError(
      'E_DISK_FULL',
      `the disk is full (${errorMessage(error)}): the batch being written was rolled back, and what committed before it is kept, whole. Free some space and run the same command again; it continues where it stopped`,
      {},
      { cause: error },
    );
  }
  return error;
}
