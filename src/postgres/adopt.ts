import type { AdoptOptions } from '../adopt/adopt.js';
import { appliedText, planAdoption, type AdoptResult } from '../adopt/plan-adoption.js';
import { readForeignHistory } from '../adopt/read-history.js';
import { CairnError, isCairnError } from '../errors.js';
import { GOOSE_TABLE, PLAIN_VERSION_TABLE, SQLX_TABLE, FLYWAY_TABLE } from '../migrations/foreign-tables.js';
import { postgresTables, schemasHolding } from './foreign-tables.js';
import { gooseApplied } from './goose-mirror.js';
import { ensureHistory, readHistory, recordApplied } from './history.js';
import { withMigrationLock } from './lock.js';
import { inTransaction, openSession, type PgSession } from './session.js';
import { loadPostgresSource } from './source.js';
import { describeTarget, type PostgresTarget } from './target.js';

const TABLE_OF = { goose: GOOSE_TABLE, sqlx: SQLX_TABLE, flyway: FLYWAY_TABLE, 'plain-version': PLAIN_VERSION_TABLE } as const;

/**
 * `cairn adopt` for a PostgreSQL store: reads goose's, sqlx's or Flyway's
 * history from the store's schema, maps it onto the store's files with the
 * same rules as on SQLite (plan-adoption.ts), and writes cairn's history in
 * one transaction under the store's migration lock, so no migrator starts
 * between the read and the write. The other tool's table is left as it is;
 * with `"history": "goose"` goose's table is brought in step as well.
 */
export async function adoptPostgres(target: PostgresTarget, options: AdoptOptions): Promise<AdoptResult> {
  const where = describeTarget(target);
  const session = await openSession(target, { env: options.env, applicationName: `cairn adopt ${target.name}` });
  try {
    const run = (): Promise<AdoptResult> => adoptOn(session, target, where, options);
    return options.dryRun ? await run() : await withMigrationLock(session, target, run);
  } finally {
    await session.end().catch(() => {});
  }
}

async function adoptOn(session: PgSession, target: PostgresTarget, where: string, options: AdoptOptions): Promise<AdoptResult> {
  const { migrations } = loadPostgresSource(target, options.env);
  const foreign = await readForeignHistory(postgresTables(session, target.schema, where), options.from).catch(async (error: unknown) => {
    throw isCairnError(error) && error.code === 'E_ADOPT' ? await withElsewhereHint(session, target, options.from, error) : error;
  });
  const dryRun = Boolean(options.dryRun);
  const { result, rows } = planAdoption({ store: target.name, file: where, dryRun }, foreign, migrations, await readHistory(session, target.schema));
  if (dryRun || rows.length === 0) return result;
  await inTransaction(session, async () => {
    await ensureHistory(session, target.schema);
    for (const { migration, appliedAt, durationMs, checked } of rows) {
      await recordApplied(
        session,
        target.schema,
        {
          version: migration.version,
          name: migration.name,
          checksum: migration.checksum,
          durationMs: durationMs ?? 0,
          additive: migration.additive,
          kind: 'migration',
          ...(appliedAt ? { appliedAt } : {}),
        },
        appliedText(migration, checked),
      );
    }
    if (target.history === 'goose') await gooseApplied(session, target.schema, []);
  });
  return result;
}

/** The history table is not in the store's schema: say where it is, if it is anywhere on the server. */
async function withElsewhereHint(session: PgSession, target: PostgresTarget, from: AdoptOptions['from'], error: CairnError): Promise<CairnError> {
  const table = TABLE_OF[from];
  const elsewhere = await schemasHolding(session, table, target.schema).catch(() => []);
  if (elsewhere.length === 0) return error;
  return new CairnError(
    'E_ADOPT',
    `${error.message}. ${table} is in schema ${elsewhere.join(', ')}: set "schema": "${elsewhere[0]}" on stores.${target.name}, so cairn manages the schema that tool migrated`,
    { ...error.details, elsewhere },
  );
}
