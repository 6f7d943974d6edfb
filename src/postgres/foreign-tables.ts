import { foreignHistoryOf } from '../adopt/detect.js';
import type { AdoptSource } from '../adopt/sources.js';
import type { ForeignTables } from '../adopt/tables.js';
import { FLYWAY_TABLE, GOOSE_TABLE, PLAIN_VERSION_TABLE, SQLX_TABLE } from '../migrations/foreign-tables.js';
import type { PgSession } from './session.js';
import { quotePgIdent } from './target.js';

/**
 * Another tool's history tables in the store's schema, for `cairn adopt`.
 * The tools create them lower-case in the schema first on their
 * search_path; cairn looks in the store's schema only, so the history it
 * adopts is the one beside the tables it will manage.
 */
export function postgresTables(session: PgSession, schema: string, where: string): ForeignTables {
  const table = (name: string): string => `${quotePgIdent(schema)}.${quotePgIdent(name)}`;
  return {
    where,
    hasTable: async (name) =>
      (
        await session.query(
          `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v')`,
          [schema, name],
        )
      ).length > 0,
    hasColumn: async (name, column) =>
      (await session.query(`SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3`, [schema, name, column]))
        .length > 0,
    rows: async <T>(name: string, columns: readonly string[] | '*', orderBy?: string) =>
      (await session.query(
        `SELECT ${columns === '*' ? '*' : columns.map(quotePgIdent).join(', ')} FROM ${table(name)}${orderBy ? ` ORDER BY ${quotePgIdent(orderBy)}` : ''}`,
      )) as T[],
  };
}

/** Which other tool's history the store's schema carries (one query), for the refusal of an unmanaged schema. */
export async function detectPostgresForeignHistory(session: PgSession, schema: string): Promise<AdoptSource | null> {
  const names = [GOOSE_TABLE, SQLX_TABLE, FLYWAY_TABLE, PLAIN_VERSION_TABLE];
  const rows = await session.query<{ relname: string; ranked: boolean }>(
    `SELECT c.relname, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'installed_rank' AND NOT a.attisdropped) AS ranked
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = ANY($2) AND c.relkind IN ('r', 'p')`,
    [schema, names],
  );
  const has = (name: string): boolean => rows.some((r) => r.relname === name);
  return foreignHistoryOf({
    goose: has(GOOSE_TABLE),
    sqlx: has(SQLX_TABLE),
    flyway: has(FLYWAY_TABLE),
    schemaVersion: has(PLAIN_VERSION_TABLE),
    schemaVersionRanked: rows.some((r) => r.relname === PLAIN_VERSION_TABLE && r.ranked),
    userVersion: 0,
  });
}

/** The schemas other than the store's where `table` is, for a hint when the store's own has none. */
export async function schemasHolding(session: PgSession, table: string, except: string): Promise<string[]> {
  const rows = await session.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = $1 AND n.nspname <> $2 AND c.relkind IN ('r', 'p') ORDER BY 1`,
    [table, except],
  );
  return rows.map((r) => r.nspname);
}
