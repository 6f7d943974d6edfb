import fs from 'node:fs';
import type { ResolvedStore, StoreRegistry } from '../config/stores.js';
import { errorMessage } from '../errors.js';
import type { Db, DbFactory } from '../sqlite/db.js';
import { openBetterSqlite3 } from '../sqlite/driver-better-sqlite3.js';
import { lockFileFor } from '../sqlite/lock.js';
import type { DoctorThresholds } from './types.js';

/** A file beside a store as it was before the doctor opened anything. */
export interface FileFacts {
  path: string;
  size: number;
  mode: number;
  mtimeMs: number;
}

export interface StoreFiles {
  db: FileFacts | null;
  wal: FileFacts | null;
  shm: FileFacts | null;
  /** A rollback journal: a write in progress, or a crashed one (hot). */
  journal: FileFacts | null;
  /** cairn's migration/import lock sidecar. */
  lock: FileFacts | null;
}

/**
 * Why the database could not be read. `hot-journal` is the one a reader
 * cannot get past without writing: a crashed writer's journal that the next
 * read-write connection rolls back.
 */
export type OpenProblem =
  | { kind: 'not-a-database'; message: string }
  | { kind: 'unreadable'; message: string }
  | { kind: 'hot-journal'; message: string }
  | { kind: 'corrupt'; message: string };

export interface Header {
  /** Bytes 18-19 of the header say WAL. */
  wal: boolean;
  pageSize: number;
}

/** What every check of one store reads. The doctor opens the store once, read-only, and shares it. */
export interface StoreContext {
  store: ResolvedStore;
  registry: StoreRegistry;
  files: StoreFiles;
  header: Header | null;
  /** The read-only connection; null when the file is missing or cannot be read at all (a corrupt one keeps it). */
  db: Db | null;
  problem: OpenProblem | null;
  full: boolean;
  thresholds: DoctorThresholds;
  now: number;
  driver: DbFactory;
}

export function statFile(file: string): FileFacts | null {
  try {
    const st = fs.statSync(file);
    return { path: file, size: st.size, mode: st.mode & 0o777, mtimeMs: st.mtimeMs };
  } catch (error) {
    // Only a file that is not there is "not created yet"; any other failure (EACCES, ENOTDIR) is kept as a
    // fact, so reading it fails next and the file check reports why, instead of an empty store.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return { path: file, size: 0, mode: 0, mtimeMs: 0 };
  }
}

export function storeFiles(file: string): StoreFiles {
  return {
    db: statFile(file),
    wal: statFile(`${file}-wal`),
    shm: statFile(`${file}-shm`),
    journal: statFile(`${file}-journal`),
    lock: statFile(lockFileFor(file)),
  };
}

const MAGIC = 'SQLite format 3\u0000';

/** Reads the 100-byte header without SQLite: a file that is not a database is named as such, and nothing is opened. */
export function readHeader(file: string): Header | OpenProblem {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    return { kind: 'unreadable', message: errorMessage(error) };
  }
  try {
    const buf = Buffer.alloc(100);
    const n = fs.readSync(fd, buf, 0, 100, 0);
    // SQLite treats an empty file as an empty database.
    if (n === 0) return { wal: false, pageSize: 4096 };
    if (n < 100 || buf.toString('latin1', 0, 16) !== MAGIC) {
      return { kind: 'not-a-database', message: `${file} is not a SQLite database (its first bytes are not the SQLite header)` };
    }
    const raw = buf.readUInt16BE(16);
    return { wal: buf[18] === 2 && buf[19] === 2, pageSize: raw === 1 ? 65536 : raw };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Opens read-only (never creating, never rolling back a journal, never
 * checkpointing) and makes one read. A file that reads as corrupt keeps its
 * connection: the checks that can still learn something (quick_check's list,
 * the migration history on pages that are intact) try anyway.
 */
export function openReadOnly(file: string, driver: DbFactory = openBetterSqlite3): { db: Db | null; problem: OpenProblem | null } {
  let db: Db;
  try {
    db = driver(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    return { db: null, problem: classify(error) };
  }
  try {
    // Waiting a little lets a commit in progress finish instead of reporting it as a failure.
    db.exec('PRAGMA busy_timeout = 2000');
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return { db, problem: null };
  } catch (error) {
    const problem = classify(error);
    if (problem.kind === 'corrupt') return { db, problem };
    db.close();
    return { db: null, problem };
  }
}

export { isCorruptError } from '../sqlite/integrity.js';

function classify(error: unknown): OpenProblem {
  const code = String((error as { code?: unknown }).code ?? '');
  const message = errorMessage(error);
  if (code === 'SQLITE_READONLY_ROLLBACK') return { kind: 'hot-journal', message };
  if (code === 'SQLITE_NOTADB') return { kind: 'not-a-database', message };
  if (code.startsWith('SQLITE_CORRUPT')) return { kind: 'corrupt', message };
  return { kind: 'unreadable', message: code ? `${message} (${code})` : message };
}
