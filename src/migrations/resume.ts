import { CairnError } from '../errors.js';
import { checksum } from './checksum.js';
import type { InterruptedRun } from './interrupted.js';
import type { Migration, MigrationStatement } from './types.js';

/**
 * Statement-level resume of a NO TRANSACTION file (as Atlas does): while the
 * file runs, its marker records how many statements have committed and a
 * checksum of those statements' text. `--recover resume` then runs the file
 * from the first statement that did not, after checking that the statements
 * that did are still the same text (the fix may change only what had not
 * run). A statement that was running when the process was killed may have
 * committed without being recorded: resume runs it again, so such files
 * should say IF NOT EXISTS where they can (documented).
 */
export function prefixChecksum(statements: readonly MigrationStatement[], n: number): string {
  return checksum(
    statements
      .slice(0, n)
      .map((s) => s.sql.trim())
      .join('\u0000'),
  );
}

/** The marker after `n` statements of `statements` have committed. */
export function withCompleted(run: InterruptedRun, statements: readonly MigrationStatement[], n: number): InterruptedRun {
  return { ...run, completed: n, completedChecksum: prefixChecksum(statements, n) };
}

/** Where `--recover resume` starts in the file as it is now (0-based), or the refusal naming why it cannot. */
export function resumeFrom(store: string, run: InterruptedRun, migration: Migration | undefined): number {
  const refuse = (why: string): never => {
    throw new CairnError('E_USAGE', `${store}: --recover resume: ${why}; use --recover restore or --recover rerun`, { store, interrupted: run });
  };
  if (!migration) return refuse(`the file of ${run.name} is gone`);
  if (migration.format === 'module') return refuse(`${run.name} is code, which runs as a whole, not statement by statement`);
  if (run.completed === undefined || run.completedChecksum === undefined) {
    return refuse(`the marker of ${run.name} does not say which statements ran (an earlier release wrote it)`);
  }
  if (run.completed > migration.up.length || prefixChecksum(migration.up, run.completed) !== run.completedChecksum) {
    return refuse(
      `statements 1–${run.completed} of ${run.name} ran, and the file's first ${run.completed} statements are not those any more; put them back as they ran (change only what had not run)`,
    );
  }
  return run.completed;
}
