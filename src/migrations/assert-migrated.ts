import { CairnError } from '../errors.js';
import type { MigrateResult } from './migrator.js';

/** Throws when a result has a failed step: for callers (app startup) that must not go on. */
export function assertMigrated(result: MigrateResult): void {
  if (result.failed) {
    throw new CairnError('E_MIGRATION_FAILED', `${result.store}: ${result.failed.message}`, {
      store: result.store,
      failed: result.failed,
      applied: result.applied,
    });
  }
}
