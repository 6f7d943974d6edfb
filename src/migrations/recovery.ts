import fs from 'node:fs';
import type { ResolvedStore } from '../config/stores.js';
import { CairnError } from '../errors.js';
import type { Db } from '../sqlite/db.js';
import { restoreBackup } from '../sqlite/backup.js';
import { integrityMessages, isSound } from '../sqlite/integrity.js';
import { openDatabase } from '../sqlite/open.js';
import { describeStep } from './describe-step.js';
import { interruptedError, readInterrupted, type InterruptedRun } from './interrupted.js';
import type { MigrateOptions } from './migrator.js';
import type { MigrationPlan, Step } from './plan.js';
import { readStoreSource } from './plan-input.js';
import type { Migration } from './types.js';

// How a store whose NO TRANSACTION file was interrupted goes on: the choice
// (restore, rerun, resume) and its checks, for migrator.ts's real and dry runs.

/**
 * A marker left by an interrupted NO TRANSACTION file: refused unless the
 * caller chose a recovery (or the file declares itself rerunnable). `restore`
 * puts the copy taken before the file back and goes on as if it never ran;
 * `rerun` leaves the DB as it is and runs the file again from the top.
 * Returns the marker when the file is to run again.
 */
export async function settleInterrupted(store: ResolvedStore, db: Db, options: MigrateOptions): Promise<InterruptedRun | null> {
  const run = readInterrupted(db);
  if (!run) {
    if (options.recover)
      throw new CairnError('E_USAGE', `${store.name}: --recover ${options.recover}: no interrupted migration to recover`, { store: store.name });
    return null;
  }
  const choice = recoveryFor(store, run, options);
  if (choice.kind !== 'restore') return run;
  assertIntactCopy(choice.copy);
  await restoreBackup(choice.copy, store.file);
  if (readInterrupted(db))
    throw new CairnError(
      'E_MIGRATION_FAILED',
      `${store.name}: ${choice.copy} was put back but still carries a marker; it is not the copy taken before ${run.name}`,
    );
  return null;
}

/**
 * How an interrupted file is to be recovered, or the refusal: the one rule the
 * real run and the dry run share. No choice (and a file that is not
 * rerunnable) is E_INTERRUPTED; `restore` with no copy left is a usage error.
 */
export function recoveryFor(
  store: ResolvedStore,
  run: InterruptedRun,
  options: MigrateOptions,
): { kind: 'rerun' | 'resume' } | { kind: 'restore'; copy: string } {
  const rerunnable = readStoreSource(store, options.env).migrations.find((m) => m.version === run.version)?.rerunnable === true;
  const choice = options.recover ?? (rerunnable ? 'rerun' : null);
  if (!choice) throw interruptedError(store.name, store.file, run);
  if (choice === 'rerun' || choice === 'resume') return { kind: choice };
  if (!run.backup || !fs.existsSync(run.backup)) {
    throw new CairnError(
      'E_USAGE',
      `${store.name}: --recover restore: no copy was taken before ${run.name}${run.backup ? ` (${run.backup} is gone)` : ' (backups are off)'}; use --recover rerun, or restore a copy of your own`,
      { store: store.name },
    );
  }
  return { kind: 'restore', copy: run.backup };
}

function assertIntactCopy(file: string): void {
  const copy = openDatabase(file, { readonly: true });
  try {
    const check = integrityMessages(copy, 5);
    if (!isSound(check)) throw new CairnError('E_CORRUPT', `${file} is damaged (${check.join('; ')}); it cannot be put back`, { file });
  } finally {
    copy.close();
  }
}

/** The migration a step applies, for an Up; undefined for anything else. */
export function upOf(step: Step | undefined): Migration | undefined {
  return step?.kind === 'up' ? step.migration : undefined;
}

/** A rerun runs the interrupted file next, or not at all: anything else would build on half of it. */
export function assertRerunIsNext(store: ResolvedStore, plan: MigrationPlan, run: InterruptedRun, how: string): void {
  const first = plan.steps[0];
  if (first?.kind === 'up' && first.migration.version === run.version) return;
  throw new CairnError(
    'E_USAGE',
    `${store.name}: --recover ${how}: ${run.name} is not the next file to run (${first ? `the plan starts with ${describeStep(first).name}` : 'nothing is pending'}); put its file back or use --recover restore`,
    { store: store.name },
  );
}
