import fs from 'node:fs';
import type { PostgresStore, ResolvedStore } from '../config/stores.js';
export { assertMigrated } from './assert-migrated.js';
export { planInput, readStoreSource } from './plan-input.js';
export { describeStep } from './describe-step.js';
import { describeStep, targetOf } from './describe-step.js';
import { planInput } from './plan-input.js';
import { errorMessage, isCairnError } from '../errors.js';
import { restoreBackup, takeBackup } from '../sqlite/backup.js';
import type { Db } from '../sqlite/db.js';
import { openDatabase } from '../sqlite/open.js';
import { inReadTransaction } from '../sqlite/read-transaction.js';
import { foreignKeysOn, pragmaStatements } from '../sqlite/pragmas.js';
import { lintMigrations } from '../lint/lint.js';
import { assertLintClean, reportOf } from '../lint/report.js';
import type { LintFinding } from '../lint/types.js';
import { corruptError, integrityMessages, isCorruptError, isSound, PRE_CHANGE_CHECK_MAX_BYTES } from '../sqlite/integrity.js';
import { WriteLock } from '../sqlite/lock.js';
import { applyStep, type StepResult } from './apply.js';
import { markStarted, readInterruptedOutsideLock, recordFailedStatement, type InterruptedRun, type RecoverChoice } from './interrupted.js';
import { gooseMirror } from './goose-table.js';
import { stepContext } from './context.js';
import type { MoveProgress } from '../schema/move-table.js';
import type { Env } from './envsub.js';
import { sourceFingerprint } from './fingerprint.js';
import { ensureHistory, forgetFingerprint, readAppliedSource, userTableCount, writeFingerprint } from './history.js';
import { planRedo } from './plan-redo.js';
import { resumeFrom, withCompleted } from './resume.js';
import { assertRerunIsNext, recoveryFor, settleInterrupted, upOf } from './recovery.js';
import { parseAppliedSource } from './pair.js';
import { planMigration, type MigrationPlan, type Step } from './plan.js';
import { databaseExists } from '../sqlite/files.js';

export interface MigrateOptions {
  /** Target version: up to it, or down to it when below the current one. */
  to?: number;
  /** Print the plan and the SQL; write nothing (no DB file is created). */
  dryRun?: boolean;
  allowOutOfOrder?: boolean;
  /** Take a copy before changing an existing DB (default true; the store's `backups` setting still applies). */
  backup?: boolean;
  env?: Env;
  now?: () => Date;
  /** Run on this open connection instead of opening one (openStores does). */
  db?: Db;
  /** The caller already holds the store's write lock (cairn import holds it across migrate and import). */
  lockHeld?: boolean;
  /** Apply pending files even when the lint finds they will fail or lose data (error-level findings). */
  force?: boolean;
  /** Every store of the config: a migration's ctx.moveTable() finds the source store here. */
  stores?: readonly (ResolvedStore | PostgresStore)[];
  /** Called as a ctx.moveTable() in a migration copies, verifies and drops, for progress output. */
  onMove?: (event: MoveProgress & { from: string }) => void;
  /** Show ENVSUB-substituted values in `planned` statements (default: the `${NAME}` references as written). */
  expandEnv?: boolean;
  /** How to go on after a NO TRANSACTION file was interrupted (see interrupted.ts); without it such a store is refused. */
  recover?: RecoverChoice;
  /** Applied versions whose edited file is recorded as it is now, the old checksum kept (`migrate --accept-edit`); nothing runs for them. */
  acceptEdits?: readonly number[];
  /**
   * Revert the newest applied file (with the Down it was applied with, when
   * the file changed since) and apply it again; pending files stay pending
   * (`cairn redo`, see plan-redo.ts).
   */
  redo?: boolean;
  /** Called as each step starts and ends, for progress output. */
  onStep?: (event: { phase: 'start' | 'done'; step: PlannedStep; result?: StepResult }) => void;
}

export type { PlannedStep } from './describe-step.js';
import type { PlannedStep } from './describe-step.js';

export interface FailedStep {
  version: number;
  name: string;
  code: string;
  message: string;
  statement: number | null;
  restoredFromBackup: boolean;
  /** A NO TRANSACTION file whose statements before the failing one ran and stay (no copy put back). */
  partlyApplied: boolean;
}

export interface MigrateResult {
  store: string;
  file: string;
  dryRun: boolean;
  from: number | null;
  to: number | null;
  planned: PlannedStep[];
  applied: StepResult[];
  failed: FailedStep | null;
  backup: string | null;
  warnings: string[];
  /** What the lint found in the pending files (errors only when --force let them through). */
  lint: LintFinding[];
}

function planFor(store: ResolvedStore, db: Db | null, options: MigrateOptions): MigrationPlan {
  const input = planInput(store, db, options.env);
  if (options.redo) {
    const newest = input.applied.at(-1);
    const source = db && newest ? readAppliedSource(db, newest.version) : null;
    return planRedo(store, input, source, (text, file) => parseAppliedSource(text, file, options.env));
  }
  return planMigration(store, input, {
    to: options.to,
    allowOutOfOrder: options.allowOutOfOrder ?? store.allowOutOfOrder,
    acceptEdits: options.acceptEdits,
  });
}

/**
 * Brings one store to the app's schema (or `to`). Under the store's write lock
 * it re-reads history, plans, refuses (CairnError, nothing written) or backs
 * up and applies step by step. A failing step ends the run with what landed
 * before it reported in `applied` and the failure in `failed`.
 */
export async function migrateStore(store: ResolvedStore, options: MigrateOptions = {}): Promise<MigrateResult> {
  if (options.dryRun) return dryRun(store, options);
  // Taken before anything is read, so a file changed during the run leaves a stale value behind, never a wrong one.
  const fingerprint = sourceFingerprint(store.migrations, store.baseline);
  const locked = <T>(fn: () => Promise<T>): Promise<T> => (options.lockHeld ? fn() : WriteLock.with(store.file, { timeoutMs: store.lockTimeoutMs }, fn));
  return locked(async () => {
    const db = options.db ?? openDatabase(store.file, { pragmas: store.pragmas });
    try {
      return await migrateOpen(store, db, options, fingerprint);
    } catch (error) {
      // A damaged page met while planning, linting or copying: say so, with the doctor's way out, not a raw SQLite error.
      if (isCorruptError(error)) throw corruptError(store.name, store.file, errorMessage(error), error);
      throw error;
    } finally {
      if (!options.db) db.close();
    }
  });
}

/** migrateStore's work on an open connection, under the store's lock. */
async function migrateOpen(store: ResolvedStore, db: Db, options: MigrateOptions, fingerprint: string): Promise<MigrateResult> {
  const rerun = await settleInterrupted(store, db, options);
  const plan = planFor(store, db, options);
  if (rerun) assertRerunIsNext(store, plan, rerun, options.recover ?? 'rerun');
  // --recover resume: the interrupted file goes on from the first statement that did not run (resume.ts).
  const resumeAt = rerun && options.recover === 'resume' ? resumeFrom(store.name, rerun, upOf(plan.steps[0])) : undefined;
  const result = resultOf(store, plan, false, options.expandEnv);
  result.lint = lintPlan(store, plan, db);
  if (!options.force) assertLintClean(reportOf(store.name, db.file, [], result.lint));
  ensureHistory(db);
  const backups = store.backupKeep > 0 && options.backup !== false;
  const hasData = plan.state.applied.length > 0 || userTableCount(db) > 0;
  if (plan.steps.length > 0 && hasData) assertSoundBeforeChange(store, db);
  // A rerun's DB holds half a file: a copy of it is worth nothing, and the copy from before that file is already kept.
  // Accepting an edit rewrites a history row only: no copy of the whole DB for that.
  const changesSchema = plan.steps.some((s) => s.kind !== 'accept-edit');
  if (changesSchema && hasData && backups && !rerun) {
    result.backup = takeBackup(db, { keep: store.backupKeep, label: `v${plan.state.current ?? 0}`, now: options.now?.() });
  }
  await runSteps(db, store, plan, result, { ...options, backups, rerun, resumeAt });
  // A mirror switched on for a DB already at the newest version catches up here, with nothing else to run.
  if (store.history === 'goose' && !result.failed) db.withTransaction(() => gooseMirror.applied(db, []));
  result.to = result.failed ? (result.applied.at(-1)?.version ?? result.from) : result.to;
  // The fingerprint says "nothing pending" to the next start; a run stopped at --to may leave files pending.
  if (!result.failed && options.to === undefined && !options.redo) writeFingerprint(db, fingerprint);
  else forgetFingerprint(db);
  // A NO TRANSACTION file may have switched pragmas (foreign_keys=OFF) on this connection; put the store's back.
  for (const stmt of pragmaStatements(store.pragmas)) if (!/journal_mode/.test(stmt)) db.exec(stmt);
  return result;
}

/**
 * A damaged store is refused before anything changes it: quick_check reads
 * every page, at about the cost of the copy the run takes anyway; above
 * PRE_CHANGE_CHECK_MAX_BYTES only the pages the run touches are checked (a
 * corrupt page raises SQLITE_CORRUPT, turned into E_CORRUPT by migrateStore).
 */
function assertSoundBeforeChange(store: ResolvedStore, db: Db): void {
  const size = Number(db.pragmaValue('page_count')) * Number(db.pragmaValue('page_size'));
  if (size > PRE_CHANGE_CHECK_MAX_BYTES) return;
  const messages = integrityMessages(db, 5);
  if (!isSound(messages)) throw corruptError(store.name, store.file, messages.join('; '));
}

/**
 * Applies the plan's steps in order, stopping at the first failure. A NO
 * TRANSACTION step gets a copy taken just before it (the one a rerun carries
 * over) and a committed marker (interrupted.ts), so a kill halfway is
 * recognised by the next run instead of being run over.
 */
async function runSteps(
  db: Db,
  store: ResolvedStore,
  plan: MigrationPlan,
  result: MigrateResult,
  options: MigrateOptions & { backups: boolean; rerun: InterruptedRun | null; resumeAt?: number },
): Promise<void> {
  for (const step of plan.steps) {
    const planned = describeStep(step);
    options.onStep?.({ phase: 'start', step: planned });
    let marker: InterruptedRun | null = null;
    let restored = false;
    const context = stepContext(db, store, options.stores, options.onMove);
    const resuming = options.rerun?.version === planned.version ? options.resumeAt : undefined;
    try {
      const stepResult = await applyStep(db, step, {
        now: options.now,
        mirror: store.history === 'goose' ? gooseMirror : undefined,
        context,
        beforeNonTransactional: () => {
          const carried = options.rerun?.version === planned.version ? options.rerun.backup : undefined;
          const backup =
            carried !== undefined
              ? carried
              : options.backups
                ? takeBackup(db, { keep: store.backupKeep + 1, label: `before-${planned.version}`, now: options.now?.() })
                : null;
          const base = {
            version: planned.version,
            name: planned.name,
            checksum: checksumOf(step),
            startedAt: new Date().toISOString(),
            backup,
            failedStatement: null,
          };
          marker = withCompleted(base, upOf(step)?.up ?? [], resuming ?? 0);
          markStarted(db, marker);
        },
        startAt: resuming,
        // Each statement's commit is followed by the marker's: a kill between the two runs that one statement again on resume.
        afterStatement: (completed) => {
          if (marker) markStarted(db, (marker = withCompleted(marker, upOf(step)?.up ?? [], completed)));
        },
        afterNonTransactionalFailure: async (_step, error, movedIn) => {
          if (!marker) return;
          const statement = isCairnError(error) && typeof error.details.statement === 'number' ? error.details.statement : null;
          // A table moved in from another store lives only here now: putting back the copy taken before the step would lose it.
          // A store that keeps what ran (noTransactionFailure: keep) is left for --recover resume.
          if (marker.backup && movedIn.length === 0 && store.noTransactionFailure !== 'keep' && fs.existsSync(marker.backup)) {
            await restoreBackup(marker.backup, store.file);
            restored = true; // the copy predates the marker, so the marker went with the rest
          } else {
            recordFailedStatement(db, movedIn.length > 0 ? { ...marker, backup: null } : marker, statement);
          }
        },
      });
      result.applied.push(stepResult);
      options.onStep?.({ phase: 'done', step: planned, result: stepResult });
    } catch (error) {
      result.failed = {
        version: planned.version,
        name: planned.name,
        code: isCairnError(error) ? error.code : 'E_MIGRATION_FAILED',
        message: errorMessage(error),
        statement: isCairnError(error) && typeof error.details.statement === 'number' ? error.details.statement : null,
        restoredFromBackup: restored,
        partlyApplied: !planned.transaction && !restored,
      };
      return;
    }
  }
}

function checksumOf(step: Step): string {
  return step.kind === 'up' || step.kind === 'down' ? step.migration.checksum : step.kind === 'baseline' ? step.checksum : '';
}

function resultOf(store: ResolvedStore, plan: MigrationPlan, dryRun: boolean, expandEnv = false): MigrateResult {
  return {
    store: store.name,
    file: store.file,
    dryRun,
    from: plan.state.current,
    to: targetOf(plan),
    planned: plan.steps.map((step) => describeStep(step, { expandEnv })),
    applied: [],
    failed: null,
    backup: null,
    warnings: plan.warnings,
    lint: [],
  };
}

/**
 * Lints the files the plan applies, against the schema they will meet: the
 * baseline first on a fresh DB; for a redo, what the Down that runs first
 * leaves (not checked when that Down is code or a rebuild the lint's copy
 * cannot run).
 */
function lintPlan(store: ResolvedStore, plan: MigrationPlan, db: Db | null): LintFinding[] {
  const ups = plan.steps.flatMap((s) => (s.kind === 'up' ? [s.migration] : []));
  if (ups.length === 0) return [];
  const baseline = plan.steps.find((s) => s.kind === 'baseline');
  const downs = plan.steps.flatMap((s) => (s.kind === 'down' ? [s.migration] : []));
  if (downs.some((d) => d.format === 'module' || (d.down ?? []).some((st) => st.rebuild))) return [];
  return lintMigrations({
    migrations: ups,
    database: baseline ? null : db,
    baseline: baseline?.kind === 'baseline' ? baseline.statements : downs.flatMap((d) => d.down ?? []),
    foreignKeys: foreignKeysOn(store.pragmas),
  });
}

function dryRun(store: ResolvedStore, options: MigrateOptions): MigrateResult {
  const live = databaseExists(store.file) ? openDatabase(store.file, { readonly: true }) : null;
  let copy: Db | null = null;
  try {
    // Read outside the lock: another process may be running that very file now (its marker is not an interruption).
    const run = live ? readInterruptedOutsideLock(live, store.file) : null;
    const recovery = run ? recoveryFor(store, run, options) : null;
    // --recover restore plans against the copy that will be put back.
    if (recovery?.kind === 'restore') copy = openDatabase(recovery.copy, { readonly: true });
    const db = copy ?? live;
    // Another process may be migrating: the history and the schema the lint copies must be the same moment's.
    return inReadTransaction(db, () => {
      const plan = planFor(store, db, options);
      return { ...resultOf(store, plan, true, options.expandEnv), lint: lintPlan(store, plan, db) };
    });
  } finally {
    live?.close();
    copy?.close();
  }
}
