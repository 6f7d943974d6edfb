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

function sourcesTable(schema: string): string {
  return `${quotePgIdent(schema)}.cairn_migration_sources`;
}

function acceptedEditsTable(schema: string): string {
  return `${quotePgIdent(schema)}.cairn_accepted_edits`;
}

/**
 * Creates the schema and cairn's tables where they are missing; run under
 * the store's lock (CREATE … IF NOT EXISTS races between sessions). Each is
 * looked for first: PostgreSQL checks the privilege to create before it
 * looks, so an app role given a schema an owner made (no CREATE on the
 * database) would be refused even with nothing to create.
 */
export async function ensureHistory(session: PgSession, schema: string): Promise<void> {
  const [have] = await session.query<{ schema: boolean; history: boolean; meta: boolean; sources: boolean; edits: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema, to_regclass($2) IS NOT NULL AS history, to_regclass($3) IS NOT NULL AS meta,
            to_regclass($4) IS NOT NULL AS sources, to_regclass($5) IS NOT NULL AS edits`,
    [schema, historyTable(schema), metaTable(schema), sourcesTable(schema), acceptedEditsTable(schema)],
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
  // The text of each applied file (what `cairn redo` reverts with after an edit) and every accepted edit; see history.ts on SQLite.
  if (!have?.sources)
    await session.query(`CREATE TABLE IF NOT EXISTS ${sourcesTable(schema)} (version bigint PRIMARY KEY, checksum text NOT NULL, text text NOT NULL)`);
  if (!have?.edits) {
    await session.query(
      `CREATE TABLE IF NOT EXISTS ${acceptedEditsTable(schema)} (version bigint NOT NULL, name text NOT NULL, applied_checksum text NOT NULL, accepted_checksum text NOT NULL, accepted_at timestamptz NOT NULL DEFAULT now())`,
    );
  }
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

/**
 * One history row, with the file's text when it is known; `appliedAt` (ISO
 * 8601) keeps another tool's time when adopting, the server's now() otherwise.
 */
export async function recordApplied(
  session: PgSession,
  schema: string,
  row: Omit<AppliedMigration, 'appliedAt'> & { appliedAt?: string },
  source?: string,
): Promise<void> {
  await session.query(
    `INSERT INTO ${historyTable(schema)} (version, name, checksum, duration_ms, additive, kind, applied_at) VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7::timestamptz, now()))`,
    [row.version, row.name, row.checksum, Math.round(row.durationMs), row.additive, row.kind, row.appliedAt ?? null],
  );
  if (source !== undefined) await writeSource(session, schema, row.version, row.checksum, source);
}

export async function recordReverted(session: PgSession, schema: string, version: number): Promise<void> {
  await session.query(`DELETE FROM ${historyTable(schema)} WHERE version = $1`, [version]);
  await session.query(`DELETE FROM ${sourcesTable(schema)} WHERE version = $1`, [version]);
}

export async function recordRenamed(session: PgSession, schema: string, from: number, to: { version: number; name: string }): Promise<void> {
  await session.query(`UPDATE ${historyTable(schema)} SET version = $2, name = $3 WHERE version = $1`, [from, to.version, to.name]);
  await session.query(`UPDATE ${sourcesTable(schema)} SET version = $2 WHERE version = $1`, [from, to.version]);
}

/** `migrate --accept-edit`: the row takes the file's checksum (and text); the old checksum is kept in cairn_accepted_edits. */
export async function recordAcceptedEdit(
  session: PgSession,
  schema: string,
  edit: { version: number; name: string; appliedChecksum: string; checksum: string; source?: string },
): Promise<void> {
  await session.query(`UPDATE ${historyTable(schema)} SET checksum = $2, name = $3 WHERE version = $1`, [edit.version, edit.checksum, edit.name]);
  await session.query(`INSERT INTO ${acceptedEditsTable(schema)} (version, name, applied_checksum, accepted_checksum) VALUES ($1, $2, $3, $4)`, [
    edit.version,
    edit.name,
    edit.appliedChecksum,
    edit.checksum,
  ]);
  if (edit.source !== undefined) await writeSource(session, schema, edit.version, edit.checksum, edit.source);
}

async function writeSource(session: PgSession, schema: string, version: number, checksum: string, text: string): Promise<void> {
  await session.query(
    `INSERT INTO ${sourcesTable(schema)} (version, checksum, text) VALUES ($1, $2, $3) ON CONFLICT (version) DO UPDATE SET checksum = excluded.checksum, text = excluded.text`,
    [version, checksum, text],
  );
}

/** The text a version was applied from; null when the store has none for it (applied by a release before sources were kept). */
export async function readAppliedSource(session: PgSession, schema: string, version: number): Promise<{ checksum: string; text: string } | null> {
  const [table] = await session.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [sourcesTable(schema)]);
  if (!table?.present) return null;
  const rows = await session.query<{ checksum: string; text: string }>(`SELECT checksum, text FROM ${sourcesTable(schema)} WHERE version = $1`, [version]);
  return rows[0] ?? null;
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

const CREATING_KEY = 'creating';

/**
 * The mark of a store being created by an import into a fresh
 * schema: set before its first migration, cleared when a run brings the store
 * to the app's schema. A kill between two migrations leaves it, so the next
 * import finishes the creation instead of refusing a store that is "behind"
 * (a server schema cannot be built aside and renamed into place, as a SQLite
 * file is).
 */
export async function readCreating(session: PgSession, schema: string): Promise<boolean> {
  const [present] = await session.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [metaTable(schema)]);
  if (!present?.ok) return false;
  const rows = await session.query(`SELECT 1 FROM ${metaTable(schema)} WHERE key = $1`, [CREATING_KEY]);
  return rows.length > 0;
}

export async function writeCreating(session: PgSession, schema: string, creating: boolean): Promise<void> {
  if (!creating) await session.query(`DELETE FROM ${metaTable(schema)} WHERE key = $1`, [CREATING_KEY]);
  else
    await session.query(`INSERT INTO ${metaTable(schema)} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [CREATING_KEY, new Date().toISOString()]);
}
