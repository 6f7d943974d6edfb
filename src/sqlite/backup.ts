import fs from 'node:fs';
import path from 'node:path';
import type { Db, DbFactory } from './db.js';
import { openBetterSqlite3 } from './driver-better-sqlite3.js';
import { ensurePrivateFile, entriesOf, FILE_MODE, fsyncPath } from './files.js';
import { corruptError, isCorruptError } from './integrity.js';
import { quoteLiteral } from './quote.js';
import { CairnError, errorMessage } from '../errors.js';

const BACKUP_INFIX = '.cairn-backup-';

/**
 * Takes a consistent copy of `db` beside its file with VACUUM INTO and keeps the
 * newest `keep` copies. VACUUM INTO reads inside one read transaction: it does
 * not switch to exclusive locking and forces no checkpoint, so a WAL replicator
 * (Litestream and the like) running beside the app keeps working.
 */
export function takeBackup(db: Db, options: { keep: number; label: string; now?: Date }): string {
  const stamp = (options.now ?? new Date()).toISOString().replace(/[-:]/g, '').replace('.', '');
  const target = `${db.file}${BACKUP_INFIX}${stamp}-${options.label.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  // Written under a name no listing counts, checked whole, then renamed: a kill or a full disk mid-copy leaves
  // no file that passes for a backup (and pushes a good one out of `keep`).
  removePartialBackups(db.file);
  const partial = `${db.file}${PARTIAL_INFIX}${stamp}`;
  try {
    // VACUUM INTO accepts an empty existing file; creating it first fixes its mode.
    ensurePrivateFile(partial);
    db.exec(`VACUUM INTO ${quoteLiteral(partial)}`);
    fs.chmodSync(partial, FILE_MODE);
    if (!isWholeDatabase(partial)) throw new Error(`the copy ${partial} is shorter than its header says`);
    fsyncPath(partial);
    fs.renameSync(partial, target);
    fsyncPath(path.dirname(target));
  } catch (error) {
    removePartialBackups(db.file);
    // Copying reads every page: a damaged one is the database's problem, not the disk's.
    if (isCorruptError(error)) throw corruptError(path.basename(db.file), db.file, errorMessage(error), error);
    throw new CairnError(
      'E_BACKUP',
      `${db.file}: the copy taken before changing it could not be written (${errorMessage(error)}); nothing was changed. Free disk space beside it, or turn backups off for this run (--no-backup)`,
      {
        file: db.file,
        backup: target,
      },
      { cause: error },
    );
  }
  pruneBackups(db.file, options.keep);
  return target;
}

/** A backup still being written (or one a killed run left): never listed, removed by the next backup. */
const PARTIAL_INFIX = '.cairn-partial-backup-';

function removePartialBackups(dbFile: string): void {
  for (const partial of listBeside(dbFile, PARTIAL_INFIX, true)) fs.rmSync(partial, { force: true });
}

/**
 * A database file is whole when its size is what its header says (page
 * count × page size, where the header's count is valid); a copy cut short by
 * a kill or a full disk is not. Read from the 100-byte header alone.
 */
export function isWholeDatabase(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    // A copy that cannot even be opened is not one a restore could use: it is not listed as a backup.
    return false;
  }
  try {
    const header = Buffer.alloc(100);
    if (fs.readSync(fd, header, 0, 100, 0) < 100 || header.toString('latin1', 0, 16) !== 'SQLite format 3\u0000') return false;
    const raw = header.readUInt16BE(16);
    const pageSize = raw === 1 ? 65536 : raw;
    // The in-header page count is only valid when "version-valid-for" matches the change counter.
    if (header.readUInt32BE(92) !== header.readUInt32BE(24)) return fs.fstatSync(fd).size % pageSize === 0;
    return fs.fstatSync(fd).size === header.readUInt32BE(28) * pageSize;
  } finally {
    fs.closeSync(fd);
  }
}

/** The infix a cutover gives the file it replaces: `state.sqlite.pre-cutover-20261123T101500Z`. */
export const CUTOVER_BACKUP_INFIX = '.pre-cutover-';

/** Pre-migration copies of `dbFile`, oldest first; a file cut short (an earlier release wrote in place) is not one. */
export function listBackups(dbFile: string): string[] {
  return listBeside(dbFile, BACKUP_INFIX).filter(isWholeDatabase);
}

/** Files a cutover kept in place of `dbFile`, oldest first. */
export function listCutoverBackups(dbFile: string): string[] {
  return listBeside(dbFile, CUTOVER_BACKUP_INFIX);
}

function listBeside(dbFile: string, infix: string, withSidecars = false): string[] {
  const dir = path.dirname(dbFile);
  const prefix = path.basename(dbFile) + infix;
  return entriesOf(dir)
    .filter((name) => name.startsWith(prefix) && (withSidecars || (!name.endsWith('-journal') && !name.endsWith('-wal') && !name.endsWith('-shm'))))
    .sort()
    .map((name) => path.join(dir, name));
}

function pruneBackups(dbFile: string, keep: number): void {
  const all = listBackups(dbFile);
  for (const old of all.slice(0, Math.max(0, all.length - Math.max(1, keep)))) fs.rmSync(old, { force: true });
}

/**
 * Puts a backup back over the live file through SQLite's backup API, which
 * takes the proper locks on the destination and works whatever its journal
 * mode, so connections that stay open see the restored content.
 */
export async function restoreBackup(backupFile: string, dbFile: string, driver: DbFactory = openBetterSqlite3): Promise<void> {
  const source = driver(backupFile, { readonly: true, fileMustExist: true });
  try {
    await source.backup(dbFile);
  } finally {
    source.close();
  }
}
