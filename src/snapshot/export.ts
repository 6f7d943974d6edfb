import fs from 'node:fs';
import path from 'node:path';
import type { ResolvedStore } from '../config/stores.js';
import { CairnError } from '../errors.js';
import type { Env } from '../migrations/envsub.js';
import { storeStatus } from '../migrations/status.js';
import type { Db } from '../sqlite/db.js';
import { inReadTransactionAsync } from '../sqlite/read-transaction.js';
import { quoteIdent } from '../sqlite/quote.js';
import { throwIfStopped } from '../stopped.js';
import { databaseExists } from '../sqlite/files.js';
import { openDatabase } from '../sqlite/open.js';
import { foreignKeyOrder, readSkippedTables, readTables, type TableInfo } from '../sqlite/schema-info.js';
import { CAIRN_VERSION } from '../version.js';
import { exportedColumns, lineSelectSql, registerLineFunctions } from './line-format.js';
import { LineFileWriter, prepareOutDir, removePartialSnapshot, snapshotFileNames } from './line-file.js';
import { carriedInSnapshot, SNAPSHOT_FORMAT, SNAPSHOT_FORMAT_VERSION, syncDir, writeManifest, type SnapshotManifest, type SnapshotTable } from './manifest.js';

export interface ExportOptions {
  /** The snapshot folder; default `<db>.snapshot-<time>` beside the database. */
  out?: string;
  /** Replace the snapshot files of a folder that already holds one. */
  force?: boolean;
  env?: Env;
  now?: Date;
  /** Called after each chunk of rows is written: the table's rows so far, and the whole export's. */
  onProgress?: (progress: ExportProgress) => void;
  /** Stops the export between chunks (Ctrl-C in the CLI): the files written so far are removed and a StoppedError (stopped.ts) thrown. */
  signal?: AbortSignal;
}

export interface ExportProgress {
  table: string;
  rows: number;
  rowsDone: number;
  rowsTotal: number;
}

export interface ExportResult {
  store: string;
  dir: string;
  manifest: SnapshotManifest;
  rows: number;
  bytes: number;
  elapsedMs: number;
}

/**
 * Writes the whole store to a snapshot folder; the store is only read. It
 * yields to the event loop between chunks, so a progress bar draws and
 * Ctrl-C is heard while a large store is written.
 */
export async function exportStore(store: ResolvedStore, options: ExportOptions = {}): Promise<ExportResult> {
  if (!databaseExists(store.file)) {
    throw new CairnError('E_NO_DATABASE', `${store.name}: ${store.file} does not exist; there is nothing to export`, { store: store.name, file: store.file });
  }
  const status = storeStatus(store, { env: options.env });
  const db = openDatabase(store.file, { readonly: true, pragmas: store.pragmas });
  try {
    return await exportSnapshot(db, {
      ...options,
      store: store.name,
      schemaVersion: status.current,
      legacyChain: status.legacyChain,
      out: options.out ?? defaultSnapshotDir(store.file, options.now ?? new Date()),
    });
  } finally {
    db.close();
  }
}

export function defaultSnapshotDir(dbFile: string, now: Date): string {
  return `${dbFile}.snapshot-${timestamp(now)}`;
}

/** `20261123T101500123Z`: sortable, and safe in a file name on every platform. */
export function timestamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace('.', '');
}

/**
 * Writes every table of an open database to `out`, all read inside one read
 * transaction, so the snapshot is one consistent moment even while the app
 * keeps writing (in WAL mode). Each file is streamed, hashed as it is
 * written and fsynced; the manifest comes last.
 */
export async function exportSnapshot(
  db: Db,
  options: ExportOptions & { out: string; store: string; schemaVersion: number | null; legacyChain: boolean },
): Promise<ExportResult> {
  const started = performance.now();
  const dir = path.resolve(options.out);
  const existed = fs.existsSync(dir);
  prepareOutDir(dir, options.force ?? false);
  registerLineFunctions(db);
  return inReadTransactionAsync(db, async () => {
    const all = readTables(db, { includeInternal: true });
    const tables = new Map([...all].filter(([name]) => carriedInSnapshot(name)));
    const names = snapshotFileNames([...tables.keys()]);
    const entries: SnapshotTable[] = [];
    // Counting is a scan of every table: done only when someone is listening (a bar on a terminal).
    const progress = { rowsDone: 0, rowsTotal: options.onProgress ? countRows(db, [...tables.keys()]) : 0 };
    let rows = 0;
    let bytes = 0;
    try {
      for (const name of foreignKeyOrder(tables)) {
        const table = tables.get(name) as TableInfo;
        const entry = await writeTable(db, table, path.join(dir, names.get(name) as string), options, progress);
        entries.push(entry);
        rows += entry.rows;
        bytes += entry.bytes;
      }
    } catch (error) {
      // A stopped or failed export leaves no folder that could pass for part of a snapshot.
      removePartialSnapshot(dir, names.values(), existed);
      throw error;
    }
    const manifest: SnapshotManifest = {
      format: SNAPSHOT_FORMAT,
      formatVersion: SNAPSHOT_FORMAT_VERSION,
      store: options.store,
      source: db.file,
      schemaVersion: options.schemaVersion,
      legacyChain: options.legacyChain,
      createdAt: (options.now ?? new Date()).toISOString(),
      cairnVersion: CAIRN_VERSION,
      engine: 'sqlite',
      sqliteVersion: String(db.prepare('SELECT sqlite_version() AS v').get<{ v: string }>()?.v),
      tables: entries,
      sequences: readSequences(db, tables),
      skipped: readSkippedTables(db).map((t) => ({
        name: t.name,
        kind: t.type,
        reason: t.type === 'virtual' ? 'virtual table: rebuild it from its content after a restore' : 'shadow table of a virtual table',
      })),
    };
    syncDir(dir);
    writeManifest(dir, manifest);
    return { store: options.store, dir, manifest, rows, bytes, elapsedMs: Math.round(performance.now() - started) };
  });
}

/** How often the export lets the event loop run (a progress frame, a signal): about every 50 ms of writing. */
const YIELD_EVERY_MS = 50;

async function writeTable(
  db: Db,
  table: TableInfo,
  file: string,
  options: Pick<ExportOptions, 'onProgress' | 'signal'>,
  progress: { rowsDone: number; rowsTotal: number },
): Promise<SnapshotTable> {
  const columns = exportedColumns(table);
  const before = progress.rowsDone;
  const writer = new LineFileWriter(file, (rows) => {
    progress.rowsDone = before + rows;
    options.onProgress?.({ table: table.name, rows, rowsDone: progress.rowsDone, rowsTotal: progress.rowsTotal });
  });
  try {
    const select = db.prepare(
      lineSelectSql(
        table,
        columns.map((c) => c.name),
      ),
    );
    let lastYield = performance.now();
    let n = 0;
    for (const line of select.iterateFirst<string>()) {
      writer.push(line);
      // Checking the clock every 1024 lines costs nothing measurable; yielding lets timers and signal handlers run.
      if ((++n & 1023) === 0 && performance.now() - lastYield >= YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        throwIfStopped(options.signal, 'the export');
        lastYield = performance.now();
      }
    }
  } catch (error) {
    writer.abandon();
    throw error;
  }
  const { rows, bytes, sha256 } = writer.finish();
  return {
    name: table.name,
    file: path.basename(file),
    rows,
    bytes,
    sha256,
    columns: columns.map((c) => ({ name: c.name, type: c.type, notNull: c.notNull, pk: c.pk })),
  };
}

function readSequences(db: Db, tables: Map<string, TableInfo>): Record<string, number> {
  const sequences: Record<string, number> = {};
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'").get();
  if (!exists) return sequences;
  for (const { name, seq } of db.prepare('SELECT name, seq FROM sqlite_sequence').all<{ name: string; seq: number }>()) {
    if (tables.has(name)) sequences[name] = Number(seq);
  }
  return sequences;
}

/** Every carried table's row count, read once in the export's read transaction: the progress bar's total. */
function countRows(db: Db, tables: readonly string[]): number {
  return tables.reduce((sum, name) => sum + Number(db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(name)}`).get<{ n: number }>()?.n ?? 0), 0);
}
