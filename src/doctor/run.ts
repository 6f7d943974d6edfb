import { declaredJobs, storeJobEntries, type BackfillStatusEntry, type DeclaredJobs } from '../backfill/status.js';
import { selectStores, type ResolvedStore, type StoreRegistry } from '../config/stores.js';
import { errorMessage } from '../errors.js';
import { storeStatus } from '../migrations/status.js';
import type { DbFactory } from '../sqlite/db.js';
import { openBetterSqlite3 } from '../sqlite/driver-better-sqlite3.js';
import { CAIRN_VERSION } from '../version.js';
import { backfillCheck } from './checks/backfill.js';
import { configCheck } from './checks/config.js';
import { importsCheck } from './checks/imports.js';
import { foreignKeyCheck, freelistCheck, integrityCheck, journalCheck } from './checks/engine.js';
import { backupsCheck, fileCheck, permissionsCheck } from './checks/file.js';
import { lockCheck } from './checks/lock.js';
import { checkResult, skipped } from './checks/result.js';
import { schemaCheck } from './checks/schema.js';
import { redactHome } from './format.js';
import { isCorruptError, openReadOnly, readHeader, storeFiles, type StoreContext } from './inspect.js';
import { DEFAULT_THRESHOLDS, type CheckStatus, type DoctorCheck, type DoctorOptions, type DoctorReport } from './types.js';

/**
 * Checks every store of the registry and reports, never changing anything:
 * each database is opened read-only, a missing one is reported and not
 * created, and nothing is migrated, checkpointed or vacuumed. One bad store
 * (or one check that throws) does not stop the others.
 */
export async function runDoctor(registry: StoreRegistry, options: DoctorOptions & { driver?: DbFactory } = {}): Promise<DoctorReport> {
  const started = performance.now();
  const now = options.now ?? Date.now();
  const jobs = await declaredJobs(registry);
  const all: DoctorCheck[] = [guard(null, 'config', () => configCheck(registry, jobs)), guard(null, 'imports', () => importsCheck(registry))];
  for (const store of selectStores(registry, options.stores)) all.push(...checkStore(store, registry, jobs, options, now));

  const checks: Record<string, DoctorCheck> = {};
  for (const check of all) checks[check.id] = options.redactHome === false ? check : redactHome(check);
  const counts: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, idle: 0 };
  for (const check of all) counts[check.status] += 1;
  return {
    schemaVersion: 1,
    overallStatus: counts.fail ? 'fail' : counts.warn ? 'warn' : 'ok',
    cairnVersion: CAIRN_VERSION,
    generatedAt: new Date(now).toISOString(),
    elapsedMs: Math.round(performance.now() - started),
    counts,
    checks,
  };
}

function checkStore(
  store: ResolvedStore,
  registry: StoreRegistry,
  jobs: DeclaredJobs,
  options: DoctorOptions & { driver?: DbFactory },
  now: number,
): DoctorCheck[] {
  const ctx: StoreContext = {
    store,
    registry,
    files: storeFiles(store.file),
    header: null,
    db: null,
    problem: null,
    full: options.full ?? false,
    thresholds: { ...DEFAULT_THRESHOLDS, ...options.thresholds },
    now,
    driver: options.driver ?? openBetterSqlite3,
  };
  if (ctx.files.db) {
    const header = readHeader(store.file);
    if ('kind' in header) ctx.problem = header;
    else {
      ctx.header = header;
      ({ db: ctx.db, problem: ctx.problem } = openReadOnly(store.file, ctx.driver));
    }
  }
  const name = store.name;
  try {
    // The lock probe runs first, before the long reads: it reports the moment the doctor started.
    return [
      guard(name, 'file', () => fileCheck(ctx)),
      guard(name, 'permissions', () => permissionsCheck(ctx)),
      guard(name, 'lock', () => lockCheck(ctx)),
      guard(name, 'journal', () => journalCheck(ctx)),
      guard(name, 'integrity', () => integrityCheck(ctx)),
      guard(name, 'foreign_keys', () => foreignKeyCheck(ctx)),
      guard(name, 'freelist', () => freelistCheck(ctx)),
      guard(name, 'schema', () =>
        ctx.db || !ctx.files.db
          ? schemaCheck(ctx, storeStatus(store, { env: options.env }))
          : skipped(name, 'schema', 'the database cannot be read (see file or journal)'),
      ),
      guard(name, 'backfill', () => backfillCheck(ctx, ctx.db || !ctx.files.db ? backfillJobs(ctx, jobs) : { error: 'the database cannot be read' })),
      guard(name, 'backups', () => backupsCheck(ctx)),
    ];
  } finally {
    ctx.db?.close();
  }
}

function backfillJobs(ctx: StoreContext, jobs: DeclaredJobs): readonly BackfillStatusEntry[] | { error: string } {
  try {
    return storeJobEntries(ctx.db, ctx.store.name, jobs, ctx.now);
  } catch (error) {
    return { error: `the backfill state cannot be read: ${errorMessage(error)}` };
  }
}

/**
 * A check that throws is reported as failed with its message; the rest of the
 * report still runs. One that meets corruption was skipped, not broken: the
 * integrity check reports the corruption once, with its remedy.
 */
function guard(store: string | null, name: string, run: () => DoctorCheck): DoctorCheck {
  try {
    return run();
  } catch (error) {
    if (store !== null && isCorruptError(error)) return skipped(store, name, 'the database is corrupt where this check reads (see integrity)');
    return checkResult(store, name, 'fail', `the check itself failed: ${errorMessage(error)}`, {}, 'Report this with the output of `cairn doctor --json`.');
  }
}
