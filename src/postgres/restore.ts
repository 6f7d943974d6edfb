import path from 'node:path';
import { throwIfStopped } from '../stopped.js';
import { CairnError, errorMessage } from '../errors.js';
import { readManifest, verifySnapshotFiles } from '../snapshot/manifest.js';
import type { SnapshotComparison } from '../snapshot/compare.js';
import { otherStoreWarning, type RestoredTable, type RestoreOptions, type RestoreResult } from '../snapshot/restore.js';
import { STATE_TABLES } from '../backfill/state.js';
import { ensurePgStateTables } from './backfill-target.js';
import { comparePgWithSnapshot } from './compare.js';
import { migratePostgres } from './migrate.js';
import { insertFromLines, planPgRestore, targetTables, type PgTablePlan } from './restore-plan.js';
import { loadRows } from './restore-rows.js';
import { inTransaction, openSession, type PgSession } from './session.js';
import { describeTarget, quotePgIdent as qi, type PostgresTarget } from './target.js';
import { plural } from '../words.js';

/**
 * `cairn restore --store S` into a PostgreSQL store: the snapshot (from
 * either engine) goes into the store's own schema, brought to the app's
 * schema by its migrations first. The files are checked against the
 * manifest, the mapping is planned and refused by name before any write,
 * then one transaction: user triggers set aside, foreign keys among the
 * restored tables dropped and added back after the rows (so self-references
 * and cycles load, and every row is checked once at the end), tables
 * emptied children first and filled parents first, sequences moved past
 * every id. A value the target's type cannot take stops it all, naming the
 * table, column and line; so do rows that would not read back as the
 * snapshot's (compared before the commit).
 */
export interface PgRestoreOptions extends Omit<RestoreOptions, 'target'> {
  /** Runs in the restore's transaction after the rows are in and compared, before the commit (a cutover records the move there). */
  beforeCommit?: (session: PgSession) => Promise<void>;
}

export async function restorePostgres(target: PostgresTarget, options: PgRestoreOptions): Promise<RestoreResult> {
  const started = performance.now();
  const dir = path.resolve(options.from);
  const manifest = readManifest(dir);
  const checksumStarted = performance.now();
  verifySnapshotFiles(dir, manifest);
  const checksumMs = performance.now() - checksumStarted;
  const migrated = await migratePostgres(target, { env: options.env });
  const session = await openSession(target, { env: options.env, applicationName: `cairn restore ${target.name}` });
  try {
    // A snapshot carries a backfill's bookkeeping with the rows it describes (a re-read would double a keyless table's rows), as on SQLite.
    if (manifest.tables.some((t) => STATE_TABLES.includes(t.name))) await ensurePgStateTables(session, target.schema);
    const plan = planPgRestore(manifest, await targetTables(session, target.schema), options);
    const insertStarted = performance.now();
    const countOnly = new Map(
      plan.tables.filter((t) => t.droppedColumns.length > 0).map((t) => [t.entry.name, `columns dropped: ${t.droppedColumns.join(', ')}`]),
    );
    let insertMs = 0;
    let verifyMs = 0;
    // The comparison runs before the commit: rows that would not read back as the snapshot's (a scale or a
    // precision the column imposes) roll everything back instead of being left in the store.
    const { tables, verification } = await inTransaction(session, async () => {
      const filled = await fill(session, target, dir, plan.tables, manifest.sequences, options);
      insertMs = performance.now() - insertStarted;
      const verifyStarted = performance.now();
      const compared = await comparePgWithSnapshot(session, target.schema, dir, manifest, {
        skip: new Set(plan.droppedTables),
        countOnly,
        withinTransaction: true,
      });
      verifyMs = performance.now() - verifyStarted;
      if (!compared.equal) throw notAsInSnapshot(target, compared);
      await options.beforeCommit?.(session);
      return { tables: filled, verification: compared };
    });
    return {
      store: target.name,
      snapshot: dir,
      target: describeTarget(target),
      created: false,
      migrated,
      tables,
      droppedTables: plan.droppedTables,
      rows: tables.reduce((n, t) => n + t.rows, 0),
      verification,
      warnings: [...migrated.warnings, ...otherStoreWarning(manifest, target.name)],
      elapsedMs: Math.round(performance.now() - started),
      timings: { checksumMs: Math.round(checksumMs), insertMs: Math.round(insertMs), verifyMs: Math.round(verifyMs) },
    };
  } finally {
    await session.end().catch(() => {});
  }
}

async function fill(
  session: PgSession,
  target: PostgresTarget,
  dir: string,
  plans: PgTablePlan[],
  counters: Record<string, number>,
  options: Omit<RestoreOptions, 'target'>,
): Promise<RestoredTable[]> {
  const schema = qi(target.schema);
  await session.query(`SET LOCAL DateStyle = 'ISO, YMD'`);
  await session.query(`SET LOCAL TimeZone = 'UTC'`);
  const names = plans.map((p) => p.entry.name);
  await refuseRowsUnlessForced(session, target, names, options.force ?? false);
  for (const name of names) await session.query(`ALTER TABLE ${schema}.${qi(name)} DISABLE TRIGGER USER`);
  const keys = await session.query<{ table: string; name: string; def: string }>(
    `SELECT c.relname AS table, k.conname AS name, pg_get_constraintdef(k.oid) AS def FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
     JOIN pg_class p ON p.oid = k.confrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE k.contype = 'f' AND n.nspname = $1 AND c.relname = ANY($2) AND p.relname = ANY($2) AND p.relnamespace = c.relnamespace ORDER BY k.oid`,
    [target.schema, names],
  );
  for (const k of keys) await session.query(`ALTER TABLE ${schema}.${qi(k.table)} DROP CONSTRAINT ${qi(k.name)}`);
  for (const name of [...names].reverse()) {
    await session.query(`DELETE FROM ${schema}.${qi(name)}`).catch((error: unknown) => {
      // Rows a table outside the snapshot still points at cannot be replaced: say which, instead of the server's words alone.
      if ((error as { code?: string }).code !== '23503') throw error;
      throw new CairnError(
        'E_SNAPSHOT_SCHEMA',
        `${target.name}: the rows of ${name} cannot be replaced: ${errorMessage(error)} (a table the snapshot does not carry refers to them). Nothing was written`,
        { table: name },
      );
    });
  }
  const identityTables = new Set(
    (
      await session.query<{ table: string }>(
        `SELECT DISTINCT c.relname AS table FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND a.attidentity <> '' AND NOT a.attisdropped`,
        [target.schema],
      )
    ).map((r) => r.table),
  );
  const rowsTotal = plans.reduce((n, p) => n + p.entry.rows, 0);
  let rowsDone = 0;
  const restored: RestoredTable[] = [];
  for (const plan of plans) {
    let rows = 0;
    const rowsBefore = rowsDone;
    if (plan.columns.length > 0) {
      rows = await loadRows(session, {
        schema: target.schema,
        plan,
        file: path.join(dir, plan.entry.file),
        insertSql: insertFromLines(target.schema, plan, identityTables.has(plan.entry.name)),
        onRows: (n) => {
          // Thrown mid-table, the restore's one transaction rolls back whole, as any failure does.
          throwIfStopped(options.signal, 'the restore');
          rowsDone += n;
          options.onProgress?.({ table: plan.entry.name, rows: rowsDone - rowsBefore, rowsDone, rowsTotal });
        },
      });
    }
    restored.push({ table: plan.entry.name, rows, droppedColumns: plan.droppedColumns, defaultedColumns: plan.defaultedColumns });
  }
  await resetSequences(session, target, plans, counters);
  // Added back, each checks every row at once: a dangling reference stops the restore here.
  for (const k of keys) {
    await session.query(`ALTER TABLE ${schema}.${qi(k.table)} ADD CONSTRAINT ${qi(k.name)} ${k.def}`).catch((error: unknown) => {
      throw new CairnError(
        'E_SNAPSHOT_SCHEMA',
        `${k.table}: the snapshot's rows break foreign key ${k.name} (${k.def}): ${errorMessage(error)}. Nothing was written`,
        { table: k.table, constraint: k.name },
      );
    });
  }
  for (const name of names) await session.query(`ALTER TABLE ${schema}.${qi(name)} ENABLE TRIGGER USER`);
  return restored;
}

async function refuseRowsUnlessForced(session: PgSession, target: PostgresTarget, names: string[], force: boolean): Promise<void> {
  if (force) return;
  const filled: string[] = [];
  for (const name of names) {
    if ((await session.query(`SELECT 1 FROM ${qi(target.schema)}.${qi(name)} LIMIT 1`)).length > 0) filled.push(name);
  }
  if (filled.length > 0) {
    throw new CairnError(
      'E_TARGET_EXISTS',
      `${target.name}: ${filled.join(', ')} already hold rows in schema ${target.schema}; pass --force to replace them with the snapshot's (nothing was written)`,
      { store: target.name, tables: filled },
    );
  }
}

function notAsInSnapshot(target: PostgresTarget, comparison: SnapshotComparison): CairnError {
  const bad = comparison.tables.filter((t) => !t.equal);
  const lines = bad.map((t) =>
    t.firstDifference
      ? `${t.table} line ${t.firstDifference.line}: snapshot ${t.firstDifference.expected ?? '(no row)'} · restored ${t.firstDifference.actual ?? '(no row)'}`
      : `${t.table}: ${t.rows === null ? 'no rows' : plural(t.rows, 'row')}, snapshot ${t.expectedRows}${t.note ? ` (${t.note})` : ''}`,
  );
  return new CairnError(
    'E_SNAPSHOT_SCHEMA',
    `${target.name}: the restored rows would not read back as the snapshot's, so nothing was written:\n  ${lines.join('\n  ')}\nA column of the target changes these values (a numeric scale, a time precision): widen it with a migration, or fix the values at their source`,
    { store: target.name, tables: bad.map((t) => t.table) },
  );
}

/** Every owned sequence of a restored table moves past both the snapshot's counter and the highest id now in the table. */
async function resetSequences(session: PgSession, target: PostgresTarget, plans: PgTablePlan[], counters: Record<string, number>): Promise<void> {
  for (const plan of plans) {
    const owned = await session.query<{ seq: string; col: string }>(
      `SELECT quote_ident(sn.nspname) || '.' || quote_ident(s.relname) AS seq, a.attname AS col FROM pg_depend d
       JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace
       JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace n ON n.oid = t.relnamespace
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
       WHERE n.nspname = $1 AND t.relname = $2 AND d.deptype IN ('a', 'i') AND d.classid = 'pg_class'::regclass`,
      [target.schema, plan.entry.name],
    );
    const counter = counters[plan.entry.name] ?? 0;
    for (const { seq, col } of owned) {
      await session.query(
        `SELECT setval($1::regclass, GREATEST(m, $2::bigint), true) FROM (SELECT max(${qi(col)})::bigint AS m FROM ${qi(target.schema)}.${qi(plan.entry.name)}) x
         WHERE GREATEST(m, $2::bigint) >= 1`,
        [seq, counter],
      );
    }
  }
}
