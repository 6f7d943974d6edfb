import { migrationLockKey } from './lock.js';
import type { AppliedMigration } from '../migrations/types.js';
import type { InterruptedRun } from '../migrations/interrupted.js';
import type { PgSession } from './session.js';
import { quotePgIdent } from './target.js';
import { FOREIGN_HISTORY_TABLES } from '../migrations/foreign-tables.js';

/**
 * cairn's history on a PostgreSQL store: `cairn_migrations` and `cairn_meta`
 * in the store's own schema, the same columns as on SQLite.
 */
export function historyTable(schema: string): string {
  return `${quotePgIdent(schema)}.cairn_migrations`;
}

function metaTable(schema: string): string {
  return `${quotePgIdent(schema)}.cairn_meta`;
}

/**
 * Creates the schema and cairn's tables where they are missing; run under
 * the store's lock (CREATE … IF NOT EXISTS races between sessions). Each is
 * looked for first: PostgreSQL checks the privilege to create before it
 * looks, so an app role given a schema an owner made (no CREATE on the
 * database) would be refused even with nothing to create.
 */
export async function ensureHistory(session: PgSession, schema: string): Promise<void> {
  const [have] = await session.query<{ schema: boolean; history: boolean; meta: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema, to_regclass($2) IS NOT NULL AS history, to_regclass($3) IS NOT NULL AS meta`,
    [schema, historyTable(schema), metaTable(schema)],
  );
  if (!have?.schema) await session.query(`CREATE SCHEMA IF NOT EXISTS ${quotePgIdent(schema)}`);
  if (!have?.history) {
    await session.query(
      `CREATE TABLE IF NOT EXISTS ${historyTable(schema)} (
      version bigint PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      duration_ms integer NOT NULL DEFAULT 0,
      additive boolean NOT NULL DEFAULT false,
      kind text NOT NULL DEFAULT 'migration' CHECK (kind IN ('migration', 'baseline'))
    )`,
    );
  }
  if (!have?.meta) await session.query(`CREATE TABLE IF NOT EXISTS ${metaTable(schema)} (key text PRIMARY KEY, value text NOT NULL)`);
}

export async function hasHistory(session: PgSession, schema: string): Promise<boolean> {
  const rows = await session.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [historyTable(schema)]);
  return rows[0]?.present === true;
}

/** The history rows; `known` skips the existence check when the caller just made it. */
export async function readHistory(session: PgSession, schema: string, known?: boolean): Promise<AppliedMigration[]> {
  if (!(known ?? (await hasHistory(session, schema)))) return [];
  const rows = await session.query<{ version: string; name: string; checksum: string; applied_at: Date; duration_ms: number; additive: boolean; kind: string }>(
    `SELECT version, name, checksum, applied_at, duration_ms, additive, kind FROM ${historyTable(schema)} ORDER BY version`,
  );
  return rows.map((r) => ({
    version: Number(r.version),
    name: r.name,
    checksum: r.checksum,
    appliedAt: r.applied_at.toISOString(),
    durationMs: r.duration_ms,
    additive: r.additive,
    kind: r.kind === 'baseline' ? 'baseline' : 'migration',
  }));
}

/**
 * Tables, views and sequences in the schema that are neither cairn's nor
 * another tool's history (as on SQLite, a schema holding only goose's empty
 * table is still fresh): a schema with none is fresh.
 */
export async function appObjectCount(session: PgSession, schema: string): Promise<number> {
  const rows = await session.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relname NOT LIKE 'cairn\\_%'
       AND NOT (c.relkind IN ('r', 'p') AND c.relname = ANY($2))
       AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
                       WHERE d.objid = c.oid AND d.deptype IN ('a', 'i') AND t.relname = ANY($2) AND t.relnamespace = c.relnamespace)`,
    [schema, [...FOREIGN_HISTORY_TABLES]],
  );
  return Number(rows[0]?.n ?? 0);
}

/** One history row; `appliedAt` (ISO 8601) keeps another tool's time when adopting, the server's now() otherwise. */
export async function recordApplied(session: PgSession, schema: string, row: Omit<AppliedMigration, 'appliedAt'> & { appliedAt?: string }): Promise<void> {
  await session.query(
    `INSERT INTO ${historyTable(schema)} (version, name, checksum, duration_ms, additive, kind, applied_at) VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7::timestamptz, now()))`,
    [row.version, row.name, row.checksum, Math.round(row.durationMs), row.additive, row.kind, row.appliedAt ?? null],
  );
}

export async function recordReverted(session: PgSession, schema: string, version: number): Promise<void> {
  await session.query(`DELETE FROM ${historyTable(schema)} WHERE version = $1`, [version]);
}

export async function recordRenamed(session: PgSession, schema: string, from: number, to: { version: number; name: string }): Promise<void> {
  await session.query(`UPDATE ${historyTable(schema)} SET version = $2, name = $3 WHERE version = $1`, [from, to.version, to.name]);
}

const INTERRUPTED_KEY = 'interrupted';

/** The NO TRANSACTION file that started and has not finished (see interrupted.ts for the SQLite side). */
export async function readInterrupted(session: PgSession, schema: string, known?: boolean): Promise<InterruptedRun | null> {
  if (!(known ?? (await hasHistory(session, schema)))) return null;
  const rows = await session.query<{ value: string }>(`SELECT value FROM ${metaTable(schema)} WHERE key = $1`, [INTERRUPTED_KEY]);
  return rows[0] ? (JSON.parse(rows[0].value) as InterruptedRun) : null;
}

/**
 * readInterrupted for a reader outside the migration lock (a dry run, a
 * status): a marker while another session holds the lock is that session's
 * file still running, not an interrupted one; otherwise it is read again
 * with the lock taken for that moment only.
 */
export async function readInterruptedOutsideLock(session: PgSession, schema: string, known?: boolean): Promise<InterruptedRun | null> {
  if (!(await readInterrupted(session, schema, known))) return null;
  const key = migrationLockKey(schema);
  const [got] = await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [key]);
  if (!got?.ok) return null;
  try {
    return await readInterrupted(session, schema, known);
  } finally {
    await session.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
  }
}

export async function writeInterrupted(session: PgSession, schema: string, run: InterruptedRun | null): Promise<void> {
  if (run === null) await session.query(`DELETE FROM ${metaTable(schema)} WHERE key = $1`, [INTERRUPTED_KEY]);
  else
    await session.query(`INSERT INTO ${metaTable(schema)} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [
      INTERRUPTED_KEY,
      JSON.stringify(run),
    ]);
}
