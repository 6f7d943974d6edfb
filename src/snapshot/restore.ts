import fs from 'node:fs';
import path from 'node:path';
import type { ResolvedStore } from '../config/stores.js';
import { throwIfStopped } from '../stopped.js';
import { CairnError, errorMessage } from '../errors.js';
import { threadBatches, useWorker, yieldingBatches } from '../importers/pipeline.js';
import type { Env } from '../migrations/envsub.js';
import { ensureStateTables, STATE_TABLES } from '../backfill/state.js';
import type { MigrateResult } from '../migrations/migrator.js';
import type { Db, SqlValue, Statement } from '../sqlite/db.js';
import { removeDatabaseFiles, sameFile } from '../sqlite/files.js';
import { openDatabase } from '../sqlite/open.js';
import { quoteIdent } from '../sqlite/quote.js';
import { affinityOf, keepsValuesAsGiven, readTables, type TableInfo } from '../sqlite/schema-info.js';
import { prepareTarget } from '../stores/prepare-target.js';
import { compareWithSnapshot, type SnapshotComparison } from './compare.js';
import { exactInsertSql, plainInsertSql, registerLineFunctions, type DecodeColumn } from './line-format.js';
import { produceRestoreBatches, snapshotLineError, type RestoreBatch, type RestoreSegment, type RestoreSource } from './restore-reader.js';
import { carriedInSnapshot, readManifest, verifySnapshotFiles, type SnapshotManifest, type SnapshotTable } from './manifest.js';
import { plural } from '../words.js';

export interface RestoreOptions {
  /** The snapshot folder (holding manifest.json). */
  from: string;
  /** The database file to fill. Never the store's live file: that is cutover's job. */
  target: string;
  /** Replace the rows of a target that already holds data. */
  force?: boolean;
  /** Leave out snapshot columns the target's schema no longer has, instead of refusing. */
  dropUnknownColumns?: boolean;
  /** Leave out snapshot tables the target's schema no longer has, instead of refusing. */
  dropUnknownTables?: boolean;
  env?: Env;
  onProgress?: (progress: { table: string; rows: number; rowsDone: number; rowsTotal: number }) => void;
  /** Stops the restore at its next batch (Ctrl-C in the CLI): it is rolled back whole, and a StoppedError (stopped.ts) thrown. */
  signal?: AbortSignal;
}

export interface RestoredTable {
  table: string;
  rows: number;
  /** Snapshot columns left out (--drop-unknown-columns). */
  droppedColumns: string[];
  /** Target columns the snapshot lacks: they took their defaults. */
  defaultedColumns: string[];
}

export interface RestoreResult {
  store: string;
  snapshot: string;
  target: string;
  created: boolean;
  /** Migrations that built the target's schema. */
  migrated: MigrateResult | null;
  tables: RestoredTable[];
  /** Snapshot tables left out (--drop-unknown-tables). */
  droppedTables: string[];
  rows: number;
  /** The target re-read and compared with the snapshot, after the commit. */
  verification: SnapshotComparison;
  warnings: string[];
  elapsedMs: number;
  /** Where the time went: checking the files, the insert transaction, the comparison after it. */
  timings: { checksumMs: number; insertMs: number; verifyMs: number };
}

/**
 * Restores a snapshot into a database at the app's current schema: the
 * manifest's checksums first (a changed file is a refusal), then, in one
 * transaction, every snapshot table emptied and refilled in foreign-key
 * order, AUTOINCREMENT counters put back and the foreign keys checked before
 * the commit. Anything wrong rolls the whole restore back.
 */
export async function restoreSnapshot(store: ResolvedStore, options: RestoreOptions): Promise<RestoreResult> {
  const started = performance.now();
  const dir = path.resolve(options.from);
  const target = path.resolve(options.target);
  const manifest = readManifest(dir);
  if (sameFile(target, store.file)) {
    throw new CairnError(
      'E_USAGE',
      `${target} is the live file of store ${store.name}; restore into another file, or replace the live store with cairn cutover --store ${store.name}`,
      { target, store: store.name },
    );
  }
  const checksumStarted = performance.now();
  verifySnapshotFiles(dir, manifest);
  const checksumMs = performance.now() - checksumStarted;
  assertTargetEmpty(target, options.force ?? false);

  const existed = fs.existsSync(target);
  const prepared = await prepareTarget({ ...store, file: target, backupKeep: 0 }, { migrate: true, env: options.env });
  let failed = true;
  try {
    const db = prepared.db;
    // cairn's own state tables are made on first use, not by the app's migrations: make them when the snapshot carries them.
    if (manifest.tables.some((t) => STATE_TABLES.includes(t.name))) ensureStateTables(db);
    const plan = planRestore(manifest, readTables(db, { includeInternal: true }), options);
    const insertStarted = performance.now();
    const tables = await restoreRows(db, dir, manifest, plan, options.onProgress, options.signal);
    const insertMs = performance.now() - insertStarted;
    const countOnly = new Map(
      plan.tables.filter((t) => t.droppedColumns.length > 0).map((t) => [t.entry.name, `columns dropped: ${t.droppedColumns.join(', ')}`]),
    );
    const verifyStarted = performance.now();
    const verification = compareWithSnapshot(db, dir, manifest, { skip: new Set(plan.droppedTables), countOnly });
    const verifyMs = performance.now() - verifyStarted;
    failed = false;
    return {
      store: store.name,
      snapshot: dir,
      target,
      created: prepared.created,
      migrated: prepared.migrated,
      tables,
      droppedTables: plan.droppedTables,
      rows: tables.reduce((sum, t) => sum + t.rows, 0),
      verification,
      warnings: [
        ...prepared.warnings,
        ...otherStoreWarning(manifest, store.name),
        ...manifest.skipped.filter((s) => s.kind === 'virtual').map((s) => `${s.name} was not in the snapshot: ${s.reason}`),
      ],
      elapsedMs: Math.round(performance.now() - started),
      timings: { checksumMs: Math.round(checksumMs), insertMs: Math.round(insertMs), verifyMs: Math.round(verifyMs) },
    };
  } finally {
    prepared.close();
    // A refused restore leaves no half-made file behind: the target it created (schema only) goes again.
    if (failed && !existed) removeDatabaseFiles(target);
  }
}

interface TablePlan {
  entry: SnapshotTable;
  info: TableInfo;
  /** Snapshot columns written, each with its position on the line. */
  columns: DecodeColumn[];
  droppedColumns: string[];
  defaultedColumns: string[];
}

interface RestorePlan {
  tables: TablePlan[];
  droppedTables: string[];
}

/**
 * Maps the snapshot onto the target's schema, refusing (before any write)
 * what would lose data or cannot be inserted: a table or column the target
 * lacks (unless told to drop it), or a required target column the snapshot
 * cannot fill.
 */
function planRestore(manifest: SnapshotManifest, targetTables: Map<string, TableInfo>, options: RestoreOptions): RestorePlan {
  const tables: TablePlan[] = [];
  const droppedTables: string[] = [];
  const problems: string[] = [];
  for (const entry of manifest.tables) {
    const info = targetTables.get(entry.name);
    if (!info || !carriedInSnapshot(entry.name)) {
      if (options.dropUnknownTables) droppedTables.push(entry.name);
      else problems.push(`table ${entry.name} (${plural(entry.rows, 'row')}) is not in the target's schema`);
      continue;
    }
    const insertable = new Map(info.columns.filter((c) => !c.generated).map((c) => [c.name, c]));
    const columns: DecodeColumn[] = [];
    const droppedColumns: string[] = [];
    entry.columns.forEach((c, index) => {
      const column = insertable.get(c.name);
      if (!column) {
        droppedColumns.push(c.name);
        return;
      }
      columns.push({ name: c.name, index, numbersAmbiguous: affinityOf(column.type) === 'TEXT' || keepsValuesAsGiven(info, column) });
    });
    if (droppedColumns.length > 0 && !options.dropUnknownColumns) {
      problems.push(`${entry.name}: column${droppedColumns.length > 1 ? 's' : ''} ${droppedColumns.join(', ')} not in the target's schema`);
    }
    const fromSnapshot = new Set(entry.columns.map((c) => c.name));
    const defaultedColumns = [...insertable.values()].filter((c) => !fromSnapshot.has(c.name)).map((c) => c.name);
    for (const name of defaultedColumns) {
      const column = insertable.get(name);
      // Only a column declared exactly INTEGER PRIMARY KEY is the rowid (INT PRIMARY KEY is not): it numbers itself.
      const rowidAlias = !info.withoutRowid && info.primaryKey.length === 1 && info.primaryKey[0] === name && column?.type.toUpperCase() === 'INTEGER';
      if (column?.notNull && !column.hasDefault && !rowidAlias && entry.rows > 0) {
        problems.push(`${entry.name}.${name} is NOT NULL with no default in the target, and the snapshot has no values for it`);
      }
    }
    if (columns.length === 0 && entry.rows > 0) problems.push(`${entry.name}: none of the snapshot's columns is in the target's schema`);
    tables.push({ entry, info, columns, droppedColumns, defaultedColumns });
  }
  if (problems.length > 0) throw snapshotDoesNotFit(problems);
  return { tables, droppedTables };
}

/** Any store whose schema fits may take a snapshot (a move between stores or engines); said, since it is rarely a slip. */
export function otherStoreWarning(manifest: SnapshotManifest, store: string): string[] {
  return manifest.store === store
    ? []
    : [`the snapshot is of store ${manifest.store} (${manifest.engine ?? 'sqlite'}); restored into store ${store}, whose schema fits it`];
}

/** The refusal when a snapshot does not fit a target's schema (either engine), with the flags that would leave the misfits out. */
export function snapshotDoesNotFit(problems: readonly string[]): CairnError {
  const hint = [
    problems.some((p) => p.startsWith('table ')) ? '--drop-unknown-tables' : null,
    problems.some((p) => p.includes('column')) && !problems.some((p) => p.includes('NOT NULL')) ? '--drop-unknown-columns' : null,
  ].filter(Boolean);
  return new CairnError(
    'E_SNAPSHOT_SCHEMA',
    `the snapshot does not fit the target's schema; nothing was written:\n  ${problems.join('\n  ')}\n${
      hint.length ? `Pass ${hint.join(' and ')} to leave those out (their data is not restored), or add` : 'Add'
    } a migration that gives the target what the snapshot needs`,
    { problems },
  );
}

async function restoreRows(
  db: Db,
  dir: string,
  manifest: SnapshotManifest,
  plan: RestorePlan,
  onProgress: RestoreOptions['onProgress'],
  signal?: AbortSignal,
): Promise<RestoredTable[]> {
  registerLineFunctions(db);
  const rowsTotal = plan.tables.reduce((sum, t) => sum + t.entry.rows, 0);
  const writers = plan.tables.filter((t) => t.columns.length > 0).map((t) => new TableWriter(db, dir, t));
  const rowsOf = new Map<string, number>();
  let rowsDone = 0;
  db.exec('BEGIN IMMEDIATE');
  try {
    // Checked once, at the end, over everything: rows may arrive before their parents (self-references, cycles).
    db.exec('PRAGMA defer_foreign_keys = ON');
    const triggers = dropTriggers(
      db,
      plan.tables.map((t) => t.entry.name),
    );
    for (const table of [...plan.tables].reverse()) db.exec(`DELETE FROM ${quoteIdent(table.entry.name)}`);
    // Lines are read and decoded on a worker thread while this thread inserts (on one core, here between inserts).
    const sources = writers.map((w) => w.source);
    const batches = useWorker(undefined)
      ? threadBatches<RestoreBatch>(new URL('./restore-worker.js', import.meta.url), sources)
      : yieldingBatches(produceRestoreBatches(sources));
    let reported = 0;
    for await (const batch of batches) {
      throwIfStopped(signal, 'the restore');
      const writer = writers[batch.source] as TableWriter;
      writer.write(batch.segments);
      rowsDone += batch.rows;
      rowsOf.set(writer.source.table, (rowsOf.get(writer.source.table) ?? 0) + batch.rows);
      if (rowsDone - reported >= PROGRESS_EVERY || rowsDone === rowsTotal) {
        reported = rowsDone;
        onProgress?.({ table: writer.source.table, rows: rowsOf.get(writer.source.table) ?? 0, rowsDone, rowsTotal });
      }
    }
    restoreSequences(db, manifest.sequences, new Set(plan.tables.map((t) => t.entry.name)));
    assertForeignKeys(db);
    for (const sql of triggers) db.exec(sql);
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
  return plan.tables.map((table) => ({
    table: table.entry.name,
    rows: rowsOf.get(table.entry.name) ?? 0,
    droppedColumns: table.droppedColumns,
    defaultedColumns: table.defaultedColumns,
  }));
}

const PROGRESS_EVERY = 50_000;
/** Rows per multi-row INSERT: one native call per run of rows instead of per row, within SQLite's 32,766 bound parameters. */
const BATCH_ROWS = 32;
const MAX_PARAMETERS = 32_766;

/** Inserts one table's decoded rows, in file order (a table without a key numbers its rows as they come). */
class TableWriter {
  readonly source: RestoreSource;
  private readonly single: Statement;
  private readonly batch: Statement;
  private exact: Statement | null = null;

  constructor(
    private readonly db: Db,
    dir: string,
    private readonly table: TablePlan,
  ) {
    const columnCount = table.columns.length;
    const batchRows = Math.max(1, Math.min(BATCH_ROWS, Math.floor(MAX_PARAMETERS / columnCount)));
    this.source = {
      table: table.entry.name,
      file: path.join(dir, table.entry.file),
      width: table.entry.columns.length,
      columns: table.columns,
      batchRows,
    };
    this.single = db.prepare(plainInsertSql(table.entry.name, table.columns));
    this.batch = batchRows > 1 ? db.prepare(plainInsertSql(table.entry.name, table.columns, batchRows)) : this.single;
  }

  write(segments: readonly RestoreSegment[]): void {
    for (const segment of segments) {
      if ('exact' in segment) {
        try {
          (this.exact ??= this.db.prepare(exactInsertSql(this.source.table, this.table.columns))).run(segment.exact);
        } catch (error) {
          throw this.lineError(segment.line, error);
        }
      } else if (segment.lines.length === this.source.batchRows) {
        try {
          this.batch.runArray(segment.values);
        } catch (error) {
          // The failed statement left nothing behind; row by row finds the line to name.
          this.rowByRow(segment);
          throw error;
        }
      } else this.rowByRow(segment);
    }
  }

  private rowByRow({ values, lines }: { values: SqlValue[]; lines: number[] }): void {
    const width = this.table.columns.length;
    for (let i = 0; i < lines.length; i++) {
      try {
        this.single.runArray(values.slice(i * width, (i + 1) * width));
      } catch (error) {
        throw this.lineError(lines[i] as number, error);
      }
    }
  }

  private lineError(line: number, error: unknown): CairnError {
    return snapshotLineError(this.source.file, line, this.source.table, errorMessage(error), error);
  }
}

/**
 * The snapshot already holds what the triggers produced when its rows were
 * first written (counters, audit rows): firing them again would double it.
 * They are dropped inside the transaction and re-created, as written, before
 * the commit.
 */
function dropTriggers(db: Db, tables: string[]): string[] {
  const wanted = new Set(tables);
  const triggers = db
    .prepare("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL ORDER BY rowid")
    .all<{ name: string; tbl_name: string; sql: string }>()
    .filter((t) => wanted.has(t.tbl_name));
  for (const t of triggers) db.exec(`DROP TRIGGER ${quoteIdent(t.name)}`);
  return triggers.map((t) => t.sql);
}

/** AUTOINCREMENT counters go back to at least the snapshot's values, so no id is ever handed out twice. */
function restoreSequences(db: Db, sequences: Record<string, number>, restored: Set<string>): void {
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'").get()) return;
  const update = db.prepare('UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?');
  const insert = db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)');
  for (const [table, seq] of Object.entries(sequences)) {
    if (!restored.has(table)) continue;
    if (update.run(seq, table).changes === 0) insert.run(table, seq);
  }
}

function assertForeignKeys(db: Db): void {
  const violations = db.prepare('PRAGMA foreign_key_check').all<{ table: string; rowid: number | null; parent: string; fkid: number }>();
  if (violations.length === 0) return;
  const shown = violations
    .slice(0, 5)
    .map((v) => `${v.table} rowid ${v.rowid ?? '?'} → ${v.parent}`)
    .join('; ');
  throw new CairnError(
    'E_SNAPSHOT',
    `the restored rows break ${plural(violations.length, 'foreign key')} in the target's schema (${shown}${violations.length > 5 ? '; …' : ''}). The restore was rolled back; nothing was written`,
    { violations: violations.slice(0, 100) },
  );
}

/** A target that already holds rows is only overwritten with --force; a file with the schema alone (cairn migrate) counts as empty. */
function assertTargetEmpty(target: string, force: boolean): void {
  if (force || !fs.existsSync(target) || fs.statSync(target).size === 0) return;
  let db: Db;
  try {
    db = openDatabase(target, { readonly: true });
  } catch (error) {
    throw new CairnError(
      'E_TARGET_EXISTS',
      `${target} exists and cannot be opened as a database (${errorMessage(error)}); choose another --target`,
      { target },
      { cause: error },
    );
  }
  try {
    for (const name of readTables(db, { includeInternal: true }).keys()) {
      if (!carriedInSnapshot(name)) continue;
      if (db.prepare(`SELECT 1 FROM ${quoteIdent(name)} LIMIT 1`).get()) {
        throw new CairnError(
          'E_TARGET_EXISTS',
          `${target} already holds data (table ${name} has rows); pass --force to replace the rows of every snapshot table, or choose another --target`,
          {
            target,
            table: name,
          },
        );
      }
    }
  } finally {
    db.close();
  }
}
