import { performance } from 'node:perf_hooks';
import { CairnError, errorMessage, isCairnError } from '../errors.js';
import type { Db } from '../sqlite/db.js';
import { recordAcceptedEdit, recordApplied, recordRenamed, recordReverted } from './history.js';
import { clearInterrupted } from './interrupted.js';
import type { Step } from './plan.js';
import { assertForeignKeys, rebuildTable } from '../schema/rebuild.js';
import { loadMigrationModule } from './module-migration.js';
import type { MigrationContext, StepContext } from './context.js';
import type { Migration, MigrationStatement } from './types.js';

export interface StepResult {
  kind: Step['kind'];
  version: number;
  name: string;
  durationMs: number;
  statements: number;
}

export interface StepHooks {
  /** Called before a step that cannot run in a transaction: takes the copy that can undo it and marks it started (interrupted.ts). */
  beforeNonTransactional?: (step: Step) => Promise<void> | void;
  /**
   * Called after such a step failed halfway; puts the DB back as it was
   * before it where it can. `movedIn` names tables moved here from another
   * store: putting the copy back would lose them.
   */
  afterNonTransactionalFailure?: (step: Step, error: unknown, movedIn: readonly string[]) => Promise<void> | void;
  now?: () => Date;
  /** Another tool's history kept in step, in the same transaction as cairn's own rows. */
  mirror?: HistoryMirror;
  /** The `ctx` a module migration's up()/down() gets (moveTable needs the other stores). */
  context?: StepContext;
  /** A NO TRANSACTION file's Up: how many of its statements ran before (`--recover resume`); they are skipped. */
  startAt?: number;
  /** A NO TRANSACTION file's Up: called after each statement commits, with how many have (the marker's progress, resume.ts). */
  afterStatement?: (completed: number) => void;
}

/** A second history written beside cairn_migrations (`"history": "goose"` keeps goose_db_version; see goose-table.ts). */
export interface HistoryMirror {
  applied(db: Db, versions: readonly number[]): void;
  reverted(db: Db, version: number): void;
  renamed(db: Db, from: number, to: number): void;
}

/**
 * Runs one step. A transactional step runs with its history row in one
 * transaction, so a crash or a failing statement leaves the DB at the previous
 * version. A NO TRANSACTION file runs statement by statement and is recorded
 * afterwards; the hooks let the caller restore a copy when it fails halfway.
 */
export async function applyStep(db: Db, step: Step, hooks: StepHooks = {}): Promise<StepResult> {
  const now = hooks.now ?? (() => new Date());
  const started = performance.now();
  switch (step.kind) {
    case 'rename':
      db.withTransaction(() => {
        recordRenamed(db, step.from.version, step.to);
        hooks.mirror?.renamed(db, step.from.version, step.to.version);
      });
      return { kind: 'rename', version: step.to.version, name: step.to.name, durationMs: performance.now() - started, statements: 0 };
    case 'accept-edit': {
      const m = step.migration;
      db.withTransaction(() => recordAcceptedEdit(db, { ...m, appliedChecksum: step.appliedChecksum }, now()));
      return { kind: 'accept-edit', version: m.version, name: m.name, durationMs: performance.now() - started, statements: 0 };
    }
    case 'baseline':
      db.withTransaction(() => {
        runStatements(db, step.name, step.statements);
        recordApplied(db, {
          version: step.version,
          name: step.name,
          checksum: step.checksum,
          appliedAt: now().toISOString(),
          durationMs: performance.now() - started,
          additive: true,
          kind: 'baseline',
        });
        hooks.mirror?.applied(
          db,
          [...new Set([...step.covers, step.version])].sort((a, b) => a - b),
        );
      });
      return { kind: 'baseline', version: step.version, name: step.name, durationMs: performance.now() - started, statements: step.statements.length };
    case 'down': {
      const m = step.migration;
      const statements = m.down ?? [];
      const revert = (): void => {
        recordReverted(db, m.version);
        hooks.mirror?.reverted(db, m.version);
      };
      if (!m.useTransaction) {
        // As goose does: a NO TRANSACTION file's Down runs outside a transaction too (VACUUM cannot run in one).
        await runSection(db, m, 'down', hooks.context);
        db.withTransaction(revert);
      } else {
        await withForeignKeysOff(db, m.foreignKeysOff, (check) =>
          inTransaction(db, async () => {
            await runSection(db, m, 'down', hooks.context);
            if (check) assertForeignKeys(db, m.name);
            revert();
          }),
        );
      }
      return { kind: 'down', version: m.version, name: m.name, durationMs: performance.now() - started, statements: statements.length };
    }
    case 'up': {
      const m = step.migration;
      const record = (): void => {
        recordApplied(
          db,
          {
            version: m.version,
            name: m.name,
            checksum: m.checksum,
            appliedAt: now().toISOString(),
            durationMs: performance.now() - started,
            additive: m.additive,
            kind: 'migration',
          },
          m.source,
        );
        hooks.mirror?.applied(db, [m.version]);
      };
      if (m.useTransaction) {
        await withForeignKeysOff(db, m.foreignKeysOff, (check) =>
          inTransaction(db, async () => {
            await runSection(db, m, 'up', hooks.context);
            if (check) assertForeignKeys(db, m.name);
            record();
          }),
        );
      } else {
        await hooks.beforeNonTransactional?.(step);
        try {
          const progress = { from: hooks.startAt ?? 0, onDone: hooks.afterStatement };
          await withForeignKeysOff(db, m.foreignKeysOff, () => runSection(db, m, 'up', hooks.context, progress));
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          const movedIn = hooks.context?.movedIn ?? [];
          if (movedIn.length > 0 && isCairnError(error)) error.details.notRestored = `moved in: ${movedIn.join(', ')}`;
          await hooks.afterNonTransactionalFailure?.(step, error, movedIn);
          throw error;
        }
        // The marker beforeNonTransactional committed goes in the transaction that records the file (interrupted.ts).
        db.withTransaction(() => {
          record();
          clearInterrupted(db);
        });
      }
      return { kind: 'up', version: m.version, name: m.name, durationMs: performance.now() - started, statements: m.up.length };
    }
  }
}

/**
 * Runs fn with foreign keys off when asked: PRAGMA foreign_keys only takes
 * effect outside a transaction, so it is switched here, before fn begins
 * one, and put back after, whatever happened. fn is told whether they were
 * on, i.e. whether it must check every key itself before committing.
 */
async function withForeignKeysOff<T>(db: Db, off: boolean, fn: (checkKeys: boolean) => Promise<T>): Promise<T> {
  const wasOn = off && Number(db.pragmaValue('foreign_keys')) === 1;
  if (wasOn) db.exec('PRAGMA foreign_keys = OFF');
  try {
    return await fn(wasOn);
  } finally {
    if (wasOn) db.exec('PRAGMA foreign_keys = ON');
  }
}

/**
 * BEGIN IMMEDIATE … COMMIT around fn, which may await (a TS migration's
 * up() can be async); ROLLBACK when it throws. The caller holds the store's
 * write lock, so nothing else writes in between.
 */
async function inTransaction(db: Db, fn: () => Promise<void>): Promise<void> {
  db.exec('BEGIN IMMEDIATE');
  try {
    await fn();
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/** One section of a migration: its SQL statements, or its module's up()/down(). */
async function runSection(
  db: Db,
  m: Migration,
  section: 'up' | 'down',
  step?: StepContext,
  progress?: { from: number; onDone?: (completed: number) => void },
): Promise<void> {
  if (m.format !== 'module') {
    runStatements(db, m.name, (section === 'up' ? m.up : m.down) ?? [], progress);
    return;
  }
  const mod = await loadMigrationModule(m);
  const fn = section === 'up' ? mod.up : mod.down;
  if (!fn) throw new CairnError('E_NO_DOWN', `${m.name} exports no down(db)`, { file: m.path });
  try {
    await fn(db, step?.context ?? noContext(m));
  } catch (error) {
    if (isCairnError(error)) throw error;
    throw new CairnError('E_MIGRATION_FAILED', `${m.name}: ${section}() failed: ${errorMessage(error)}`, { file: m.name }, { cause: error });
  }
}

/** Runs statements in order from `progress.from` (0-based), reporting each one done; a failure names its number in the file. */
function runStatements(
  db: Db,
  fileName: string,
  statements: readonly MigrationStatement[],
  progress?: { from: number; onDone?: (completed: number) => void },
): void {
  statements.forEach((stmt, index) => {
    if (index < (progress?.from ?? 0)) return;
    try {
      if (stmt.rebuild) rebuildTable(db, stmt.rebuild.table, stmt.rebuild.spec);
      else db.exec(stmt.sql);
    } catch (error) {
      const where = stmt.line ? ` (line ${stmt.line})` : '';
      throw new CairnError(
        'E_MIGRATION_FAILED',
        `${fileName}: statement ${index + 1}${where} failed: ${errorMessage(error)}`,
        {
          file: fileName,
          statement: index + 1,
          line: stmt.line ?? null,
          sql: stmt.template ?? stmt.sql,
          sqliteCode: (error as { code?: string }).code ?? null,
        },
        { cause: error },
      );
    }
    progress?.onDone?.(index + 1);
  });
}

/** For a module run outside migrateStore (no registry): moveTable says what is missing. */
function noContext(m: Migration): MigrationContext {
  return {
    store: '',
    moveTable: () => Promise.reject(new CairnError('E_USAGE', `${m.name}: moveTable needs the store registry; run it through cairn migrate or openStores`)),
  };
}
