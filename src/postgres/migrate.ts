import { performance } from 'node:perf_hooks';
import { CairnError, errorMessage, isCairnError } from '../errors.js';
import { describeStep, targetOf } from '../migrations/describe-step.js';
import type { Env } from '../migrations/envsub.js';
import type { InterruptedRun, RecoverChoice } from '../migrations/interrupted.js';
import type { MigrateResult } from '../migrations/migrator.js';
import { planMigration, type MigrationPlan, type PlanInput, type Step } from '../migrations/plan.js';
import { assertLintClean, reportOf } from '../lint/report.js';
import type { LintFinding } from '../lint/types.js';
import { lintPostgresFiles } from './lint.js';
import type { StepResult } from '../migrations/apply.js';
import type { Migration, MigrationStatement } from '../migrations/types.js';
import {
  ensureHistory,
  readAppliedSource,
  readInterrupted,
  readInterruptedOutsideLock,
  recordAcceptedEdit,
  recordApplied,
  recordRenamed,
  recordReverted,
  writeCreating,
  writeInterrupted,
} from './history.js';
import { planRedo } from '../migrations/plan-redo.js';
import { resumeFrom, withCompleted } from '../migrations/resume.js';
import { parseAppliedSource } from '../migrations/pair.js';
import { gooseApplied, gooseRenamed, gooseReverted } from './goose-mirror.js';
import { withMigrationLock } from './lock.js';
import { inTransaction, openSession, type PgSession } from './session.js';
import { describeTarget, type PostgresTarget } from './target.js';
import { planInput } from './plan-input.js';

export interface PostgresMigrateOptions {
  to?: number;
  /** Apply pending files even when the lint finds they will fail (error-level findings). */
  force?: boolean;
  /**
   * A dry run lints a fresh store's files too (default true). A real run
   * never does: with no app objects in the schema there is nothing a failing
   * file could damage, the run itself names the statement that fails, and
   * linting would run every file twice.
   */
  lintFresh?: boolean;
  dryRun?: boolean;
  allowOutOfOrder?: boolean;
  env?: Env;
  expandEnv?: boolean;
  /** After a NO TRANSACTION file was interrupted: `rerun` runs it again (there is no copy to restore on a server). */
  recover?: RecoverChoice;
  /** Applied versions whose edited file is recorded as it is now, the old checksum kept (`migrate --accept-edit`). */
  acceptEdits?: readonly number[];
  /** Revert the newest applied file with the Down it was applied with and apply it again (`cairn redo`, see plan-redo.ts). */
  redo?: boolean;
  /** The store is being created by an import: marked so a kill between two migrations is finished by the next run (history.ts). */
  creating?: boolean;
  onStep?: (event: { phase: 'start' | 'done'; step: ReturnType<typeof describeStep>; result?: StepResult }) => void;
}

/**
 * Brings one PostgreSQL store to the app's schema (or `to`), with the SQLite
 * engine's rules: the same planner refuses edited, newer and out-of-order
 * histories before anything is written. Under the store's advisory lock it
 * re-reads history, then applies each file in one transaction with its
 * history row (PostgreSQL's DDL is transactional), or statement by statement
 * for a NO TRANSACTION file, which is marked started first so a kill or a
 * failure halfway is refused until `recover: 'rerun'`.
 */
export async function migratePostgres(target: PostgresTarget, options: PostgresMigrateOptions = {}): Promise<MigrateResult> {
  const where = describeTarget(target);
  const session = await openSession(target, { env: options.env });
  try {
    if (options.dryRun) return await dryRun(session, target, options);
    return await withMigrationLock(session, target, async () => {
      await ensureHistory(session, target.schema);
      const input = await planInput(session, target, options.env);
      const interrupted = await readInterrupted(session, target.schema, input.managed);
      if (interrupted) assertRecoverable(target, interrupted, options.recover);
      const plan = await planFor(session, target, input, options);
      const lint = input.fresh ? [] : await lintPlan(session, target, plan, false);
      if (!options.force) assertLintClean(reportOf(target.name, where, [], lint));
      const resume = interrupted && options.recover === 'resume' ? resumePoint(target, plan, interrupted) : undefined;
      // Cleared only now, as the file is about to run again: a refusal above leaves the store refused as it was.
      if (interrupted) await writeInterrupted(session, target.schema, null);
      const result = resultOf(target, plan, options, lint, false);
      if (options.creating && plan.steps.length > 0) await writeCreating(session, target.schema, true);
      for (const step of plan.steps) {
        const planned = describeStep(step, options);
        options.onStep?.({ phase: 'start', step: planned });
        try {
          const done = await applyPgStep(session, target, step, resume?.version === planned.version ? resume.from : 0);
          result.applied.push(done);
          options.onStep?.({ phase: 'done', step: planned, result: done });
        } catch (error) {
          result.failed = failureOf(target, step, error);
          break;
        }
      }
      result.to = result.failed ? (result.applied.at(-1)?.version ?? result.from) : result.to;
      // Whatever run brings the store to the app's schema ends a creation left unfinished.
      if (!result.failed && options.to === undefined && !options.redo) await writeCreating(session, target.schema, false);
      // A mirror switched on for a store already migrated catches up here, with nothing else to run.
      if (target.history === 'goose' && !result.failed) await inTransaction(session, () => gooseApplied(session, target.schema, []));
      return result;
    });
  } finally {
    await session.end().catch(() => {});
  }
}

/** The plan against the server as it is; writes nothing, creates no schema. */
async function dryRun(session: PgSession, target: PostgresTarget, options: PostgresMigrateOptions): Promise<MigrateResult> {
  const input = await planInput(session, target, options.env);
  // Read outside the lock: another session may be running that very file now (its marker is not an interruption).
  const interrupted = await readInterruptedOutsideLock(session, target.schema, input.managed);
  if (interrupted) assertRecoverable(target, interrupted, options.recover);
  const plan = await planFor(session, target, input, options);
  const lint = input.fresh && options.lintFresh === false ? [] : await lintPlan(session, target, plan, input.fresh);
  return resultOf(target, plan, options, lint, true);
}

/** What this run does: the one planner both engines share, or a redo of the newest applied file. */
async function planFor(session: PgSession, target: PostgresTarget, input: PlanInput, options: PostgresMigrateOptions): Promise<MigrationPlan> {
  const store = { name: target.name, file: describeTarget(target) };
  if (options.redo) {
    const newest = input.applied.at(-1);
    const source = newest ? await readAppliedSource(session, target.schema, newest.version) : null;
    return planRedo(store, input, source, (text, file) => parseAppliedSource(text, file, options.env, 'postgres'));
  }
  return planMigration(store, input, {
    to: options.to,
    allowOutOfOrder: options.allowOutOfOrder ?? target.allowOutOfOrder,
    acceptEdits: options.acceptEdits,
  });
}

/** The MigrateResult a plan starts as (the SQLite engine's shape): nothing applied yet. */
function resultOf(target: PostgresTarget, plan: MigrationPlan, options: PostgresMigrateOptions, lint: LintFinding[], dryRun: boolean): MigrateResult {
  return {
    store: target.name,
    file: describeTarget(target),
    dryRun,
    from: plan.state.current,
    to: targetOf(plan),
    planned: plan.steps.map((s) => describeStep(s, options)),
    applied: [],
    failed: null,
    backup: null,
    warnings: plan.warnings,
    lint,
  };
}

/**
 * The lint of what a plan applies: its baseline (when a fresh store gets
 * one) and its Up files, in order, against the store's schema, or an empty
 * scratch schema when the store has no app objects yet.
 */
async function lintPlan(session: PgSession, target: PostgresTarget, plan: MigrationPlan, fresh: boolean): Promise<LintFinding[]> {
  const files: Migration[] = [];
  for (const step of plan.steps) {
    if (step.kind === 'up') files.push(step.migration);
    // A redo's Up meets the schema its Down leaves: the Down runs first in the lint's transaction, its own findings dropped.
    if (step.kind === 'down') files.push({ ...step.migration, path: `${step.migration.path}${REDO_DOWN}`, up: step.migration.down ?? [] });
    if (step.kind === 'baseline') {
      files.push({
        version: step.version,
        name: step.name,
        path: step.name,
        checksum: step.checksum,
        format: 'plain',
        up: step.statements,
        down: null,
        useTransaction: true,
        additive: false,
        foreignKeysOff: false,
      });
    }
  }
  if (!files.some((f) => !f.path.endsWith(REDO_DOWN))) return [];
  const findings = await lintPostgresFiles(session, target.schema, files, { scratch: fresh ? 'when-absent' : false });
  return findings.filter((f) => !f.file.endsWith(REDO_DOWN));
}

const REDO_DOWN = ' (Down, run first)';

/** `--recover resume`: the interrupted file must be the next to run, and the statements that ran unchanged (resume.ts). */
function resumePoint(target: PostgresTarget, plan: MigrationPlan, run: InterruptedRun): { version: number; from: number } {
  const first = plan.steps[0];
  if (first?.kind !== 'up' || first.migration.version !== run.version) {
    throw new CairnError('E_USAGE', `${target.name}: --recover resume: ${run.name} is not the next file to run; put its file back`, { store: target.name });
  }
  return { version: run.version, from: resumeFrom(target.name, run, first.migration) };
}

/** An interrupted NO TRANSACTION file refuses every run until the user chooses `rerun` or `resume` (a server has no copy to restore). */
function assertRecoverable(target: PostgresTarget, run: InterruptedRun, choice: RecoverChoice | undefined): void {
  if (choice === 'rerun' || choice === 'resume') return;
  if (choice === 'restore') {
    throw new CairnError('E_USAGE', `${target.name}: --recover restore puts back a copy of a SQLite file; a PostgreSQL store has none. Use --recover rerun`, {
      store: target.name,
    });
  }
  throw interruptedError(target, run);
}

export function interruptedError(target: PostgresTarget, run: InterruptedRun): CairnError {
  const how = run.failedStatement
    ? `failed at statement ${run.failedStatement}`
    : 'was stopped before it finished (the process was killed, or lost its connection)';
  const ran = run.failedStatement ? `statements 1–${run.failedStatement - 1} ran and stay` : 'some of its statements may have run';
  return new CairnError(
    'E_INTERRUPTED',
    `${target.name}: ${run.name} ${how}; it runs outside a transaction (NO TRANSACTION), so ${ran}. Nothing else will run until you choose:\n  cairn migrate --store ${target.name} --recover rerun    runs it again from its first statement; only if its statements can safely run twice (CREATE INDEX CONCURRENTLY IF NOT EXISTS …)\n  cairn migrate --store ${target.name} --recover resume   runs it from the first statement that did not run${run.completed !== undefined ? ` (statement ${run.completed + 1})` : ''}, once you have fixed that one`,
    { store: target.name, interrupted: run },
  );
}

/** Runs statements in order from `offset`; a failure names the file, its line and which statement it was. */
async function runStatements(
  session: PgSession,
  file: string,
  statements: readonly MigrationStatement[],
  offset = 0,
  onDone?: (completed: number) => Promise<void>,
): Promise<void> {
  for (let i = offset; i < statements.length; i++) {
    const statement = statements[i] as MigrationStatement;
    try {
      await session.query(statement.sql);
    } catch (error) {
      throw new StatementError(`${file}${statement.line ? `:${statement.line}` : ''}: statement ${i + 1}: ${errorMessage(error)}`, i + 1, error);
    }
    await onDone?.(i + 1);
  }
}

class StatementError extends Error {
  constructor(
    message: string,
    readonly statement: number,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}

async function applyPgStep(session: PgSession, target: PostgresTarget, step: Step, startAt = 0): Promise<StepResult> {
  const started = performance.now();
  const schema = target.schema;
  const took = (): number => performance.now() - started;
  const goose = target.history === 'goose';
  const revert = async (): Promise<void> => {
    if (step.kind !== 'down') return;
    await recordReverted(session, schema, step.migration.version);
    if (goose) await gooseReverted(session, schema, step.migration.version);
  };
  switch (step.kind) {
    case 'rename':
      await inTransaction(session, async () => {
        await recordRenamed(session, schema, step.from.version, step.to);
        if (goose) await gooseRenamed(session, schema, step.from.version, step.to.version);
      });
      return { kind: 'rename', version: step.to.version, name: step.to.name, durationMs: took(), statements: 0 };
    case 'accept-edit':
      await inTransaction(session, () => recordAcceptedEdit(session, schema, { ...step.migration, appliedChecksum: step.appliedChecksum }));
      return { kind: 'accept-edit', version: step.migration.version, name: step.migration.name, durationMs: took(), statements: 0 };
    case 'baseline':
      await inTransaction(session, async () => {
        await runStatements(session, step.name, step.statements);
        await recordApplied(session, schema, {
          version: step.version,
          name: step.name,
          checksum: step.checksum,
          durationMs: took(),
          additive: false,
          kind: 'baseline',
        });
        if (goose) await gooseApplied(session, schema, step.covers);
      });
      return { kind: 'baseline', version: step.version, name: step.name, durationMs: took(), statements: step.statements.length };
    case 'down':
      if (!step.migration.useTransaction) {
        // As goose does: a NO TRANSACTION file's Down runs outside a transaction too (DROP INDEX CONCURRENTLY cannot run in one).
        await runStatements(session, step.migration.name, step.migration.down ?? []);
        await inTransaction(session, () => revert());
      } else {
        await inTransaction(session, async () => {
          await runStatements(session, step.migration.name, step.migration.down ?? []);
          await revert();
        });
      }
      return { kind: 'down', version: step.migration.version, name: step.migration.name, durationMs: took(), statements: step.migration.down?.length ?? 0 };
    case 'up': {
      const m = step.migration;
      const record = async (): Promise<void> => {
        await recordApplied(
          session,
          schema,
          {
            version: m.version,
            name: m.name,
            checksum: m.checksum,
            durationMs: took(),
            additive: m.additive,
            kind: 'migration',
          },
          m.source,
        );
        if (goose) await gooseApplied(session, schema, [m.version]);
      };
      if (m.useTransaction) {
        await inTransaction(session, async () => {
          await runStatements(session, m.name, m.up);
          await record();
        });
      } else {
        // Marked started in its own commit, so a kill between statements is seen by the next run; each statement's commit
        // is followed by the marker's (resume.ts), so --recover resume knows where to go on.
        let run: InterruptedRun = withCompleted(
          { version: m.version, name: m.name, checksum: m.checksum, startedAt: new Date().toISOString(), backup: null, failedStatement: null },
          m.up,
          startAt,
        );
        await writeInterrupted(session, schema, run);
        try {
          await runStatements(session, m.name, m.up, startAt, async (completed) => {
            run = withCompleted(run, m.up, completed);
            await writeInterrupted(session, schema, run);
          });
        } catch (error) {
          if (error instanceof StatementError) await writeInterrupted(session, schema, { ...run, failedStatement: error.statement }).catch(() => {});
          throw error;
        }
        await inTransaction(session, async () => {
          await record();
          await writeInterrupted(session, schema, null);
        });
      }
      return { kind: 'up', version: m.version, name: m.name, durationMs: took(), statements: m.up.length };
    }
  }
}

function failureOf(target: PostgresTarget, step: Step, error: unknown): NonNullable<MigrateResult['failed']> {
  const planned = describeStep(step);
  const statement = error instanceof StatementError ? error.statement : null;
  const partly = outsideTransaction(step) && statement !== null && statement > 1;
  const ran = statement && statement > 1 ? `statements 1–${statement - 1} ran and stay` : 'no statement of it ran';
  const message = errorMessage(error);
  return {
    version: planned.version,
    name: planned.name,
    code: isCairnError(error) ? error.code : 'E_MIGRATION_FAILED',
    message: outsideTransaction(step)
      ? `${message}. It runs outside a transaction: ${ran}; ${
          step.kind === 'down'
            ? `the file is still recorded as applied: fix its Down (IF EXISTS makes it safe to repeat) and run the same --to again`
            : `fix it, then cairn migrate --store ${target.name} --recover resume (goes on from that statement) or --recover rerun (runs it all again)`
        }`
      : `${message} (rolled back: the file left nothing behind)`,
    statement,
    restoredFromBackup: false,
    partlyApplied: partly,
  };
}

/** An Up or Down of a NO TRANSACTION file: its statements run one by one, and stay when a later one fails. */
function outsideTransaction(step: Step): boolean {
  return (step.kind === 'up' || step.kind === 'down') && !step.migration.useTransaction;
}
