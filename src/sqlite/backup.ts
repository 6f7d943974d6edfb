import fs from 'node:fs';
import path from 'node:path';
import type { Db, DbFactory } from './db.js';
import { openBetterSqlite3 } from './driver-better-sqlite3.js';
import { ensurePrivateFile, FILE_MODE } from './files.js';
import { quoteLiteral } from './quote.js';

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
  // VACUUM INTO accepts an empty existing file; creating it first fixes its mode.
  ensurePrivateFile(target);
  db.exec(`VACUUM INTO ${quoteLiteral(target)}`);
  fs.chmodSync(target, FILE_MODE);
  pruneBackups(db.file, options.keep);
  return target;
}

/** The infix a cutover gives the file it replaces: `state.sqlite.pre-cutover-20261123T101500Z`. */
export const CUTOVER_BACKUP_INFIX = '.pre-cutover-';

/** Pre-migration copies of `dbFile`, oldest first. */
export function listBackups(dbFile: string): string[] {
  return listBeside(dbFile, BACKUP_INFIX);
}

/** Files a cutover kept in place of `dbFile`, oldest first. */
export function listCutoverBackups(dbFile: string): string[] {
  return listBeside(dbFile, CUTOVER_BACKUP_INFIX);
}

function listBeside(dbFile: string, infix: string): string[] {
  const dir = path.dirname(dbFile);
  const prefix = path.basename(dbFile) + infix;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.startsWith(prefix) && !name.endsWith('-journal') && !name.endsWith('-wal') && !name.endsWith('-shm'))
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
