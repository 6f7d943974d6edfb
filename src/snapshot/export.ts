import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ResolvedStore } from '../config/stores.js';
import { CairnError } from '../errors.js';
import type { Env } from '../migrations/envsub.js';
import { storeStatus } from '../migrations/status.js';
import type { Db } from '../sqlite/db.js';
import { inReadTransaction } from '../sqlite/read-transaction.js';
import { databaseExists, ensurePrivateDir, FILE_MODE } from '../sqlite/files.js';
import { openDatabase } from '../sqlite/open.js';
import { foreignKeyOrder, readSkippedTables, readTables, type TableInfo } from '../sqlite/schema-info.js';
import { CAIRN_VERSION } from '../version.js';
import { exportedColumns, lineSelectSql, registerLineFunctions } from './line-format.js';
import {
  carriedInSnapshot,
  MANIFEST_FILE,
  SNAPSHOT_FORMAT,
  SNAPSHOT_FORMAT_VERSION,
  syncDir,
  writeManifest,
  type SnapshotManifest,
  type SnapshotTable,
} from './manifest.js';

export interface ExportOptions {
  /** The snapshot folder; default `<db>.snapshot-<time>` beside the database. */
  out?: string;
  /** Replace the snapshot files of a folder that already holds one. */
  force?: boolean;
  env?: Env;
  now?: Date;
  /** Called after each chunk of rows is written. */
  onProgress?: (progress: { table: string; rows: number }) => void;
}

export interface ExportResult {
  store: string;
  dir: string;
  manifest: SnapshotManifest;
  rows: number;
  bytes: number;
  elapsedMs: number;
}

/** Writes the whole store to a snapshot folder; the store is only read. */
export function exportStore(store: ResolvedStore, options: ExportOptions = {}): ExportResult {
  if (!databaseExists(store.file)) {
    throw new CairnError('E_NO_DATABASE', `${store.name}: ${store.file} does not exist; there is nothing to export`, { store: store.name, file: store.file });
  }
  const status = storeStatus(store, { env: options.env });
  const db = openDatabase(store.file, { readonly: true, pragmas: store.pragmas });
  try {
    return exportSnapshot(db, {
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
export function exportSnapshot(
  db: Db,
  options: ExportOptions & { out: string; store: string; schemaVersion: number | null; legacyChain: boolean },
): ExportResult {
  const started = performance.now();
  const dir = path.resolve(options.out);
  prepareOutDir(dir, options.force ?? false);
  registerLineFunctions(db);
  return inReadTransaction(db, () => {
    const all = readTables(db, { includeInternal: true });
    const tables = new Map([...all].filter(([name]) => carriedInSnapshot(name)));
    const names = fileNames([...tables.keys()]);
    const entries: SnapshotTable[] = [];
    let rows = 0;
    let bytes = 0;
    for (const name of foreignKeyOrder(tables)) {
      const table = tables.get(name) as TableInfo;
      const entry = writeTable(db, table, path.join(dir, names.get(name) as string), options.onProgress);
      entries.push(entry);
      rows += entry.rows;
      bytes += entry.bytes;
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

const FLUSH_BYTES = 1 << 20;

function writeTable(db: Db, table: TableInfo, file: string, onProgress: ExportOptions['onProgress']): SnapshotTable {
  const columns = exportedColumns(table);
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'w', FILE_MODE);
  let rows = 0;
  let bytes = 0;
  try {
    let pending: string[] = [];
    let pendingLength = 0;
    const flush = (): void => {
      if (pending.length === 0) return;
      const chunk = Buffer.from(pending.join('\n') + '\n', 'utf8');
      hash.update(chunk);
      fs.writeSync(fd, chunk);
      bytes += chunk.length;
      pending = [];
      pendingLength = 0;
      onProgress?.({ table: table.name, rows });
    };
    const select = db.prepare(
      lineSelectSql(
        table,
        columns.map((c) => c.name),
      ),
    );
    for (const line of select.iterateFirst<string>()) {
      pending.push(line);
      pendingLength += line.length;
      rows += 1;
      if (pendingLength >= FLUSH_BYTES) flush();
    }
    flush();
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return {
    name: table.name,
    file: path.basename(file),
    rows,
    bytes,
    sha256: hash.digest('hex'),
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

/** One file name per table: readable, safe on every file system, unique even where names differ only in case. */
function fileNames(tables: string[]): Map<string, string> {
  const used = new Set<string>();
  const names = new Map<string, string>();
  for (const table of tables) {
    const base = table.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_') || 'table';
    let candidate = `${base}.jsonl`;
    for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${base}-${n}.jsonl`;
    used.add(candidate.toLowerCase());
    names.set(table, candidate);
  }
  return names;
}

/** The out folder must be new or empty; `force` replaces an earlier snapshot, never other files. */
function prepareOutDir(dir: string, force: boolean): void {
  if (fs.existsSync(dir)) {
    const entries = fs.readdirSync(dir);
    if (entries.length > 0) {
      const isSnapshot = entries.includes(MANIFEST_FILE) || entries.every((e) => e.endsWith('.jsonl'));
      if (!force || !isSnapshot) {
        throw new CairnError(
          'E_TARGET_EXISTS',
          force
            ? `${dir} holds files that are not a cairn snapshot; choose an empty folder with --out`
            : `${dir} is not empty; choose another folder with --out, or pass --force to replace the snapshot in it`,
          { dir },
        );
      }
      // The manifest goes first: a folder caught half-replaced must not pass for a finished snapshot.
      fs.rmSync(path.join(dir, MANIFEST_FILE), { force: true });
      for (const entry of entries) if (entry.endsWith('.jsonl')) fs.rmSync(path.join(dir, entry), { force: true });
    }
  }
  ensurePrivateDir(dir);
}
