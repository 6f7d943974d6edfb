import { declaredJobs, storeJobEntries, type BackfillStatusEntry, type DeclaredJobs } from '../backfill/status.js';
import { declaresRetention, isPostgresStore, selectAnyStores, type ResolvedStore, type StoreRegistry } from '../config/stores.js';
import path from 'node:path';
import { CairnError, errorMessage } from '../errors.js';
import { storeStatus } from '../migrations/status.js';
import type { DbFactory } from '../sqlite/db.js';
import { openBetterSqlite3 } from '../sqlite/driver-better-sqlite3.js';
import { CAIRN_VERSION } from '../version.js';
import { backfillCheck } from './checks/backfill.js';
import { configCheck } from './checks/config.js';
import { importsCheck } from './checks/imports.js';
import { legacyCheck } from './checks/legacy.js';
import { foreignKeyCheck, freelistCheck, integrityCheck, journalCheck } from './checks/engine.js';
import { backupsCheck, fileCheck, permissionsCheck } from './checks/file.js';
import { lockCheck } from './checks/lock.js';
import { checkResult, skipped } from './checks/result.js';
import { schemaCheck, sqliteSubject } from './checks/schema.js';
import { retentionCheck } from './checks/retention.js';
import { snapshotCheck } from './checks/snapshot.js';
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
  const wanted = (name: string): boolean => !options.checks || options.checks.includes(name);
  const all: DoctorCheck[] = [];
  if (wanted('config')) all.push(guard(null, 'config', () => configCheck(registry, jobs)));
  if (wanted('imports')) all.push(guard(null, 'imports', () => importsCheck(registry)));
  if (wanted('legacy')) {
    try {
      all.push(await legacyCheck(registry, jobs, { env: options.env, now }));
    } catch (error) {
      all.push(
        checkResult(null, 'legacy', 'fail', `the check itself failed: ${errorMessage(error)}`, {}, 'Report this with the output of `cairn doctor --json`.'),
      );
    }
  }
  const selected = selectAnyStores(registry, options.stores);
  const stores = selected.filter((s): s is ResolvedStore => !isPostgresStore(s));
  const servers = selected.filter(isPostgresStore);
  if (options.file !== undefined && servers.length > 0) {
    throw new CairnError(
      'E_USAGE',
      `a file to check (${options.file}) is read as a SQLite store; ${servers.map((s) => s.name).join(', ')} is a PostgreSQL store`,
      {
        file: options.file,
      },
    );
  }
  if (options.file !== undefined && stores.length !== 1) {
    throw new CairnError('E_USAGE', `a file to check (${options.file}) needs exactly one store to read it as; name it with --store`, { file: options.file });
  }
  const total = stores.length + servers.length;
  // Each store's checks run without a pause (SQLite's are synchronous): the event loop gets a turn first, so a bar shows which store is read.
  const starting = async (store: string, index: number): Promise<void> => {
    if (!options.onStore) return;
    options.onStore({ store, index, total });
    await new Promise((resolve) => setImmediate(resolve));
  };
  for (const [i, store] of stores.entries()) {
    await starting(store.name, i);
    const inspected = options.file !== undefined ? { ...store, file: path.resolve(options.file) } : store;
    all.push(...checkStore(inspected, registry, jobs, options, now, wanted));
  }
  if (servers.length) {
    // The PostgreSQL checks (and the pg client) load only when such a store is declared.
    const { postgresChecks } = await import('../postgres/doctor.js');
    for (const [i, store] of servers.entries()) {
      await starting(store.name, stores.length + i);
      all.push(...(await postgresChecks(store, { env: options.env, now, wanted, snapshot: options.snapshot, jobs })));
    }
  }

  const checks: Record<string, DoctorCheck> = {};
  for (const check of all) checks[check.id] = options.redactHome === false ? check : redactHome(check);
  const counts: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, idle: 0 };
  for (const check of all) counts[check.status] += 1;
  return {
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
  wanted: (check: string) => boolean,
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
    const checks: [string, () => DoctorCheck][] = [
      ['file', () => fileCheck(ctx)],
      ['permissions', () => permissionsCheck(ctx)],
      ['lock', () => lockCheck(ctx)],
      ['journal', () => journalCheck(ctx)],
      ['integrity', () => integrityCheck(ctx)],
      ['foreign_keys', () => foreignKeyCheck(ctx)],
      ['freelist', () => freelistCheck(ctx)],
      [
        'schema',
        () =>
          ctx.db || !ctx.files.db
            ? schemaCheck(sqliteSubject(ctx), storeStatus(store, { env: options.env }))
            : skipped(name, 'schema', 'the database cannot be read (see file or journal)'),
      ],
      ['backfill', () => backfillCheck(ctx, ctx.db || !ctx.files.db ? backfillJobs(ctx, jobs) : { error: 'the database cannot be read' })],
      ['backups', () => backupsCheck(ctx)],
    ];
    if (declaresRetention(store)) checks.push(['retention', () => retentionCheck(ctx)]);
    if (options.snapshot !== undefined) checks.push(['snapshot', () => snapshotCheck(ctx, path.resolve(options.snapshot as string))]);
    return checks.filter(([check]) => wanted(check)).map(([check, run]) => guard(name, check, run));
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
