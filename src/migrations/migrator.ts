import fs from 'node:fs';
import type { ResolvedStore } from '../config/stores.js';
import { CairnError, errorMessage, isCairnError } from '../errors.js';
import { restoreBackup, takeBackup } from '../sqlite/backup.js';
import type { Db } from '../sqlite/db.js';
import { openDatabase } from '../sqlite/open.js';
import { inReadTransaction } from '../sqlite/read-transaction.js';
import { foreignKeysOn, pragmaStatements } from '../sqlite/pragmas.js';
import { detectForeignHistory } from '../adopt/read-history.js';
import { lintMigrations } from '../lint/lint.js';
import { assertLintClean, reportOf } from '../lint/report.js';
import type { LintFinding } from '../lint/types.js';
import { WriteLock } from '../sqlite/lock.js';
import { applyStep, type StepResult } from './apply.js';
import { gooseMirror } from './goose-table.js';
import { stepContext } from './context.js';
import type { MoveProgress } from '../schema/move-table.js';
import { loadBaseline } from './baseline.js';
import type { Env } from './envsub.js';
import { sourceFingerprint } from './fingerprint.js';
import { ensureHistory, hasHistory, readHistory, userTableCount, writeFingerprint } from './history.js';
import { planMigration, type MigrationPlan, type PlanInput, type Step } from './plan.js';
import { loadMigrations } from './source.js';
import type { Migration } from './types.js';

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
  stores?: readonly ResolvedStore[];
  /** Called as a ctx.moveTable() in a migration copies, verifies and drops, for progress output. */
  onMove?: (event: MoveProgress & { from: string }) => void;
  /** Called as each step starts and ends, for progress output. */
  onStep?: (event: { phase: 'start' | 'done'; step: PlannedStep; result?: StepResult }) => void;
}

/** A step as `--dry-run --json` shows it: the statements exactly as they would run. */
export interface PlannedStep {
  kind: Step['kind'];
  version: number;
  name: string;
  transaction: boolean;
  statements: string[];
}

export interface FailedStep {
  version: number;
  name: string;
  code: string;
  message: string;
  statement: number | null;
  restoredFromBackup: boolean;
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

/** The store's files as the engine sees them (the baseline file is never a migration). */
export function readStoreSource(store: ResolvedStore, env?: Env): { migrations: Migration[]; baseline: ReturnType<typeof loadBaseline> | undefined } {
  const migrations = store.migrations ? loadMigrations(store.migrations, { exclude: store.baseline ? [store.baseline.file] : [], env }) : [];
  return { migrations, baseline: store.baseline ? loadBaseline(store.baseline) : undefined };
}

export function describeStep(step: Step): PlannedStep {
  switch (step.kind) {
    case 'rename':
      return { kind: 'rename', version: step.to.version, name: step.to.name, transaction: true, statements: [] };
    case 'baseline':
      return { kind: 'baseline', version: step.version, name: step.name, transaction: true, statements: step.statements.map((s) => s.sql) };
    case 'up':
      return {
        kind: 'up',
        version: step.migration.version,
        name: step.migration.name,
        transaction: step.migration.useTransaction,
        statements: step.migration.format === 'module' ? [`-- runs up(db) from ${step.migration.name}`] : step.migration.up.map((s) => s.sql),
      };
    case 'down':
      return {
        kind: 'down',
        version: step.migration.version,
        name: step.migration.name,
        transaction: true,
        statements: step.migration.format === 'module' ? [`-- runs down(db) from ${step.migration.name}`] : (step.migration.down ?? []).map((s) => s.sql),
      };
  }
}

/** What planning reads: the store's files, the DB's history, and whether the DB is fresh (no history, no app tables; none at all counts). */
export function planInput(store: ResolvedStore, db: Db | null, env?: Env): PlanInput {
  const { migrations, baseline } = readStoreSource(store, env);
  const applied = db ? readHistory(db) : [];
  const fresh = applied.length === 0 && (db === null || userTableCount(db) === 0);
  const managed = db !== null && hasHistory(db);
  const foreignHistory = db && applied.length === 0 && !fresh && !managed ? detectForeignHistory(db) : null;
  return { migrations, applied, baseline, fresh, managed, foreignHistory };
}

function planFor(store: ResolvedStore, db: Db | null, options: MigrateOptions): MigrationPlan {
  return planMigration(store, planInput(store, db, options.env), { to: options.to, allowOutOfOrder: options.allowOutOfOrder ?? store.allowOutOfOrder });
}

function targetOf(plan: MigrationPlan): number | null {
  const last = plan.steps.at(-1);
  if (!last) return plan.state.current;
  if (last.kind === 'down') {
    const remaining = plan.state.applied.filter((a) => !plan.steps.some((s) => s.kind === 'down' && s.migration.version === a.version));
    return remaining.at(-1)?.version ?? null;
  }
  return Math.max(plan.state.current ?? -Infinity, ...plan.steps.map((s) => describeStep(s).version));
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
      const plan = planFor(store, db, options);
      const result = resultOf(store, plan, false);
      result.lint = lintPlan(store, plan, db);
      if (!options.force) assertLintClean(reportOf(store.name, db.file, [], result.lint));
      ensureHistory(db);
      const hasData = plan.state.applied.length > 0 || userTableCount(db) > 0;
      if (plan.steps.length > 0 && hasData && store.backupKeep > 0 && options.backup !== false) {
        result.backup = takeBackup(db, { keep: store.backupKeep, label: `v${plan.state.current ?? 0}`, now: options.now?.() });
      }
      for (const step of plan.steps) {
        const planned = describeStep(step);
        options.onStep?.({ phase: 'start', step: planned });
        let preStep: string | null = null;
        const context = stepContext(db, store, options.stores, options.onMove);
        try {
          const stepResult = await applyStep(db, step, {
            now: options.now,
            mirror: store.history === 'goose' ? gooseMirror : undefined,
            context,
            beforeNonTransactional: () => {
              if (store.backupKeep > 0 && options.backup !== false) {
                preStep = takeBackup(db, { keep: store.backupKeep + 1, label: `before-${planned.version}`, now: options.now?.() });
              }
            },
            afterNonTransactionalFailure: async () => {
              if (preStep) await restoreBackup(preStep, store.file);
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
            restoredFromBackup: !planned.transaction && preStep !== null && context.movedIn.length === 0,
          };
          break;
        }
      }
      // A mirror switched on for a DB already at the newest version catches up here, with nothing else to run.
      if (store.history === 'goose' && !result.failed) db.transaction(() => gooseMirror.applied(db, []));
      result.to = result.failed ? (result.applied.at(-1)?.version ?? result.from) : result.to;
      if (!result.failed) writeFingerprint(db, fingerprint);
      // A NO TRANSACTION file may have switched pragmas (foreign_keys=OFF) on this connection; put the store's back.
      for (const stmt of pragmaStatements(store.pragmas)) if (!/journal_mode/.test(stmt)) db.exec(stmt);
      return result;
    } finally {
      if (!options.db) db.close();
    }
  });
}

function resultOf(store: ResolvedStore, plan: MigrationPlan, dryRun: boolean): MigrateResult {
  return {
    store: store.name,
    file: store.file,
    dryRun,
    from: plan.state.current,
    to: targetOf(plan),
    planned: plan.steps.map(describeStep),
    applied: [],
    failed: null,
    backup: null,
    warnings: plan.warnings,
    lint: [],
  };
}

/** Lints the files the plan applies, against the schema they will meet (the baseline first on a fresh DB). */
function lintPlan(store: ResolvedStore, plan: MigrationPlan, db: Db | null): LintFinding[] {
  const ups = plan.steps.flatMap((s) => (s.kind === 'up' ? [s.migration] : []));
  if (ups.length === 0) return [];
  const baseline = plan.steps.find((s) => s.kind === 'baseline');
  return lintMigrations({
    migrations: ups,
    database: baseline ? null : db,
    baseline: baseline?.kind === 'baseline' ? baseline.statements : [],
    foreignKeys: foreignKeysOn(store.pragmas),
  });
}

function dryRun(store: ResolvedStore, options: MigrateOptions): MigrateResult {
  const db = fs.existsSync(store.file) ? openDatabase(store.file, { readonly: true }) : null;
  try {
    // Another process may be migrating: the history and the schema the lint copies must be the same moment's.
    return inReadTransaction(db, () => {
      const plan = planFor(store, db, options);
      return { ...resultOf(store, plan, true), lint: lintPlan(store, plan, db) };
    });
  } finally {
    db?.close();
  }
}

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
