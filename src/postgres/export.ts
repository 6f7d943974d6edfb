import fs from 'node:fs';
import path from 'node:path';
import { CairnError } from '../errors.js';
import { schemaState } from '../migrations/plan.js';
import type { ExportOptions, ExportResult } from '../snapshot/export.js';
import { timestamp } from '../snapshot/export.js';
import { LineFileWriter, prepareOutDir, removePartialSnapshot, snapshotFileNames } from '../snapshot/line-file.js';
import { throwIfStopped } from '../stopped.js';
import {
  carriedInSnapshot,
  SNAPSHOT_FORMAT,
  SNAPSHOT_FORMAT_VERSION,
  syncDir,
  writeManifest,
  type SnapshotManifest,
  type SnapshotTable,
} from '../snapshot/manifest.js';
import { CAIRN_VERSION } from '../version.js';
import { planInput } from './plan-input.js';
import { inTransaction, openSession, type PgSession } from './session.js';
import { byteOrderedColumns } from './byte-order.js';
import { CopyTextToLines } from './copy-to-lines.js';
import { LINE_SETTINGS, lineSelectPg, nanCheckSql, plainSelectPg, storedColumns, type PgSnapshotColumn } from './snapshot-lines.js';
import { describeTarget, quotePgIdent, type PostgresTarget } from './target.js';

/**
 * `cairn export` of a PostgreSQL store: the same snapshot folder a SQLite
 * store exports (one JSONL file per table, manifest last), every table read
 * in one REPEATABLE READ, READ ONLY transaction, so the snapshot is one
 * moment while the app keeps writing. Rows stream by COPY and become lines
 * as they arrive (copy-to-lines.ts), so memory stays flat.
 */
export async function exportPostgres(target: PostgresTarget, options: ExportOptions & { root?: string } = {}): Promise<ExportResult> {
  const started = performance.now();
  const now = options.now ?? new Date();
  const dir = path.resolve(options.out ?? path.join(options.root ?? process.cwd(), `${target.name}.snapshot-${timestamp(now)}`));
  const session = await openSession(target, { env: options.env, applicationName: `cairn export ${target.name}` });
  try {
    return await inTransaction(session, async () => {
      await session.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      for (const setting of LINE_SETTINGS) await session.query(setting);
      const state = schemaState(await planInput(session, target, options.env));
      const tables = await readTables(session, target.schema);
      if (tables.size === 0 && !(await schemaExists(session, target.schema))) {
        throw new CairnError(
          'E_NO_DATABASE',
          `${target.name}: schema ${target.schema} does not exist on ${describeTarget(target)}; there is nothing to export`,
          {
            store: target.name,
          },
        );
      }
      for (const [name, columns] of tables) await refuseNaN(session, target, name, columns);
      const existed = fs.existsSync(dir);
      prepareOutDir(dir, options.force ?? false);
      const names = snapshotFileNames([...tables.keys()]);
      const entries: SnapshotTable[] = [];
      const byteOrdered = await byteOrderedColumns(session, target.schema);
      // Counting is a scan of every table: done only when someone is listening (a bar on a terminal).
      const progress = { rowsDone: 0, rowsTotal: options.onProgress ? await countRows(session, target.schema, [...tables.keys()]) : 0 };
      try {
        for (const name of await foreignKeyOrder(session, target.schema, [...tables.keys()])) {
          const source = { schema: target.schema, table: name, columns: tables.get(name)!, byteOrdered: byteOrdered.get(name) };
          entries.push(await writeTable(session, source, path.join(dir, names.get(name)!), options, progress));
        }
      } catch (error) {
        removePartialSnapshot(dir, names.values(), existed);
        throw error;
      }
      const [version] = await session.query<{ server_version: string }>('SHOW server_version');
      const manifest: SnapshotManifest = {
        format: SNAPSHOT_FORMAT,
        formatVersion: SNAPSHOT_FORMAT_VERSION,
        store: target.name,
        source: describeTarget(target),
        schemaVersion: state.current,
        legacyChain: state.legacyChain,
        createdAt: now.toISOString(),
        cairnVersion: CAIRN_VERSION,
        engine: 'postgres',
        serverVersion: version?.server_version ?? '',
        tables: entries,
        sequences: await readSequences(session, target.schema, new Set(tables.keys())),
        skipped: [],
      };
      syncDir(dir);
      writeManifest(dir, manifest);
      const rows = entries.reduce((n, t) => n + t.rows, 0);
      const bytes = entries.reduce((n, t) => n + t.bytes, 0);
      return { store: target.name, dir, manifest, rows, bytes, elapsedMs: Math.round(performance.now() - started) };
    });
  } finally {
    await session.end().catch(() => {});
  }
}

interface TableSource {
  schema: string;
  table: string;
  columns: PgSnapshotColumn[];
  byteOrdered: ReadonlySet<string> | undefined;
}

async function writeTable(
  session: PgSession,
  { schema, table, columns, byteOrdered }: TableSource,
  file: string,
  options: Pick<ExportOptions, 'onProgress' | 'signal'>,
  progress: { rowsDone: number; rowsTotal: number },
): Promise<SnapshotTable> {
  const before = progress.rowsDone;
  const writer = new LineFileWriter(file, (rows) => {
    progress.rowsDone = before + rows;
    options.onProgress?.({ table, rows, rowsDone: progress.rowsDone, rowsTotal: progress.rowsTotal });
    // Leaving the COPY loop by a throw ends the COPY; the transaction is read-only, nothing to undo.
    throwIfStopped(options.signal, 'the export');
  });
  try {
    const plain = plainSelectPg(schema, table, columns, byteOrdered);
    if (plain) {
      // The server sends plain columns and the lines are made here, beside its work (copy-to-lines.ts).
      const lines = new CopyTextToLines(table, columns, (block, rows) => writer.pushBlock(block, rows));
      for await (const chunk of session.copyChunks(`COPY (${plain}) TO STDOUT`)) lines.push(chunk);
      lines.end();
    } else {
      // Without a key the order is that of the lines themselves, which the server sorts as it builds them.
      for await (const line of session.copyLines(`COPY (${lineSelectPg(schema, table, columns)}) TO STDOUT`)) writer.push(line);
    }
  } catch (error) {
    writer.abandon();
    throw error;
  }
  return { name: table, file: path.basename(file), ...writer.finish(), columns };
}

/** The store's tables with their exported columns (generated ones are recomputed on insert), cairn's history left out. */
async function readTables(session: PgSession, schema: string): Promise<Map<string, PgSnapshotColumn[]>> {
  const tables = new Map<string, PgSnapshotColumn[]>();
  for (const [name, columns] of [...(await storedColumns(session, schema))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (carriedInSnapshot(name)) tables.set(name, [...columns.values()]);
  }
  return tables;
}

/** Parents before children, by the foreign keys among the exported tables (name order among equals). */
async function foreignKeyOrder(session: PgSession, schema: string, tables: string[]): Promise<string[]> {
  const edges = await session.query<{ child: string; parent: string }>(
    `SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE k.contype = 'f' AND n.nspname = $1 AND p.relnamespace = c.relnamespace`,
    [schema],
  );
  const parents = new Map<string, string[]>();
  for (const e of edges) if (e.child !== e.parent) parents.set(e.child, [...(parents.get(e.child) ?? []), e.parent]);
  const known = new Set(tables);
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const parent of (parents.get(name) ?? []).filter((p) => known.has(p)).sort()) visit(parent);
    order.push(name);
  };
  for (const name of [...tables].sort()) visit(name);
  return order;
}

/** NaN has no place in a snapshot (SQLite cannot store it): refused before anything is written, naming where it is. */
async function refuseNaN(session: PgSession, target: PostgresTarget, table: string, columns: PgSnapshotColumn[]): Promise<void> {
  const sql = nanCheckSql(target.schema, table, columns);
  if (!sql) return;
  const [found] = await session.query<{ column: string; key: string | null }>(sql);
  if (!found) return;
  throw new CairnError(
    'E_SNAPSHOT',
    `${target.name}: ${table}.${found.column} holds NaN${found.key ? ` (row with key ${found.key})` : ''}, which a snapshot cannot carry (SQLite has no NaN); set it to NULL or a number, then export again. Nothing was written`,
    { store: target.name, table, column: found.column, key: found.key },
  );
}

/** Each table's id counter (the last value of a sequence owned by one of its columns), so a restore never reuses an id. */
async function readSequences(session: PgSession, schema: string, tables: Set<string>): Promise<Record<string, number>> {
  const rows = await session.query<{ table: string; last: string | null }>(
    `SELECT t.relname AS table, max(s.last_value) AS last FROM pg_depend d
     JOIN pg_class q ON q.oid = d.objid AND q.relkind = 'S' JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace n ON n.oid = t.relnamespace
     JOIN pg_sequences s ON s.schemaname = n.nspname AND s.sequencename = q.relname
     WHERE n.nspname = $1 AND d.deptype IN ('a', 'i') AND d.classid = 'pg_class'::regclass GROUP BY t.relname`,
    [schema],
  );
  const sequences: Record<string, number> = {};
  for (const row of rows) if (tables.has(row.table) && row.last !== null) sequences[row.table] = Number(row.last);
  return sequences;
}

async function schemaExists(session: PgSession, schema: string): Promise<boolean> {
  return (await session.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).length > 0;
}

/** Every table's exact row count in the export's snapshot (one scan each): the progress bar's total. */
async function countRows(session: PgSession, schema: string, tables: readonly string[]): Promise<number> {
  let total = 0;
  for (const table of tables) {
    const [row] = await session.query<{ n: string }>(`SELECT count(*) AS n FROM ${quotePgIdent(schema)}.${quotePgIdent(table)}`);
    total += Number(row?.n ?? 0);
  }
  return total;
}
