import type { PostgresStore } from '../config/stores.js';
import { CairnError, type CairnErrorCode } from '../errors.js';
import type { Env } from '../migrations/envsub.js';
import { assertMigrated, type MigrateResult } from '../migrations/migrator.js';
import { acquireMigrationLock } from './lock.js';
import { migratePostgres } from './migrate.js';
import { PgRowWriter, type PgRowWriterOptions } from './row-writer.js';
import { openSession, type PgSession } from './session.js';
import { postgresStatus } from './status.js';
import { readCreating } from './history.js';
import { newerThanAppWarning } from '../migrations/status-report.js';
import { describeTarget } from './target.js';
import { plural } from '../words.js';

export interface PgSchemaCheck {
  /** Apply pending migrations first instead of refusing. */
  migrate?: boolean;
  dryRun?: boolean;
  /** A schema with no cairn history yet is made through the migrations (an import), rather than refused (a backfill). */
  createAbsent: boolean;
  /** What the refusals say is being done: "importing into", "backfilling into". */
  verb: string;
  env?: Env;
}

/**
 * The preconditions of a bulk write into a server store, each a refusal
 * before any row is written, with the SQLite engine's words: a schema a
 * newer release migrated is refused unless its unknown versions all only add
 * (then a warning, as migrate gives); one behind the app is refused unless
 * `migrate` (an absent one is made when `createAbsent`). A dry run changes
 * nothing, so it needs the store at the app's schema already.
 */
export async function assertPgWritable(
  store: PostgresStore,
  check: PgSchemaCheck,
): Promise<{ migrated: MigrateResult | null; created: boolean; warnings: string[] }> {
  const where = describeTarget(store);
  const status = await postgresStatus(store, { env: check.env });
  if (status.error) throw new CairnError(status.error.code as CairnErrorCode, status.error.message, { store: store.name });
  const newer = newerThanAppWarning(status, where, check.verb);
  const warnings = newer ? [newer] : [];
  const behind = status.pending.length > 0 || status.baselinePending;
  if (!behind) return { migrated: null, created: false, warnings };
  // A creation an earlier import or backfill began and did not finish (killed between two migrations) is still fresh.
  const fresh = !status.exists || status.current === null || (check.createAbsent === true && (await creationUnfinished(store, check.env)));
  const what = fresh ? 'has no tables yet' : `is at version ${status.current ?? 0} with ${plural(status.pending.length, 'pending migration')}`;
  if (check.dryRun) {
    throw new CairnError(
      'E_SCHEMA_BEHIND',
      `${store.name}: ${where} ${what}; a dry run on a PostgreSQL store writes nothing, so it needs the store at the app's schema first: run cairn migrate --store ${store.name}`,
      { store: store.name },
    );
  }
  if (!check.migrate && !(fresh && check.createAbsent)) {
    throw new CairnError('E_SCHEMA_BEHIND', `${store.name}: ${where} ${what}; run cairn migrate first, or pass --migrate`, {
      store: store.name,
      pending: status.pending.map((p) => p.version),
    });
  }
  const migrated = await migratePostgres(store, { env: check.env, creating: fresh && check.createAbsent === true });
  assertMigrated(migrated);
  return { migrated, created: fresh, warnings: [...warnings, ...migrated.warnings] };
}

/** A server store ready for an import: at the app's schema, its migration lock held for the whole run, a writer on its session. */
export interface PgImportTarget<O> {
  session: PgSession;
  writer: PgRowWriter<O>;
  migrated: MigrateResult | null;
  created: boolean;
  warnings: string[];
  /** Rolls back a dry run, frees the lock, ends the session. */
  close(): Promise<void>;
}

export async function preparePgImport<O>(
  store: PostgresStore,
  options: { dryRun?: boolean; migrate?: boolean; env?: Env } & Pick<PgRowWriterOptions, 'mode'>,
): Promise<PgImportTarget<O>> {
  const { migrated, created, warnings } = await assertPgWritable(store, { ...options, createAbsent: true, verb: 'importing into' });
  const session = await openSession(store, { env: options.env, applicationName: `cairn import ${store.name}` });
  let release: (() => Promise<void>) | null = null;
  try {
    // The migration lock keeps a migrate, or a second import, from changing the tables under this one.
    release = await acquireMigrationLock(session, store);
    // A dry run is one transaction, each batch a savepoint of it, rolled back at the end: every check the server makes runs, nothing stays.
    if (options.dryRun) await session.query('BEGIN');
    const writer = await PgRowWriter.open<O>(session, store.schema, { mode: options.mode, nested: options.dryRun });
    const unlock = release;
    return {
      session,
      writer,
      migrated,
      created,
      warnings,
      close: async () => {
        if (options.dryRun) await session.query('ROLLBACK').catch(() => {});
        await unlock();
        await session.end().catch(() => {});
      },
    };
  } catch (error) {
    await release?.();
    await session.end().catch(() => {});
    throw error;
  }
}

async function creationUnfinished(store: PostgresStore, env: Env | undefined): Promise<boolean> {
  const session = await openSession(store, { env });
  try {
    return await readCreating(session, store.schema);
  } finally {
    await session.end().catch(() => {});
  }
}
