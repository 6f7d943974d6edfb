import fs from 'node:fs';
import path from 'node:path';
import { listBackups, listCutoverBackups } from '../../sqlite/backup.js';
import { listCutoverLeftovers } from '../../snapshot/leftovers.js';
import { formatBytes, plural } from '../format.js';
import type { StoreContext } from '../inspect.js';
import type { DoctorCheck } from '../types.js';
import { checkResult } from './result.js';

/** Present, how big, and whether the disk beside it has room for a migration's backup copy. */
export function fileCheck(ctx: StoreContext): DoctorCheck {
  const { store, files, problem } = ctx;
  const name = store.name;
  if (!files.db) {
    return checkResult(name, 'file', 'idle', 'not created yet: the app (openStores) or `cairn migrate` creates it', { path: store.file });
  }
  const size = files.db.size + (files.wal?.size ?? 0);
  const details: Record<string, string | number> = { path: store.file, size: formatBytes(files.db.size) };
  const free = freeBytes(path.dirname(store.file));
  if (free !== null) details['free disk'] = formatBytes(free);
  if (problem?.kind === 'not-a-database' || problem?.kind === 'unreadable') {
    return checkResult(
      name,
      'file',
      'fail',
      problem.kind === 'not-a-database' ? 'not a SQLite database' : `cannot be read: ${problem.message}`,
      { ...details, error: problem.message },
      problem.kind === 'not-a-database'
        ? `Move ${store.file} aside (do not delete it) and restore the newest backup beside it, if any (${newestBackup(store.file) ?? 'none found'}).`
        : `Check that ${store.file} is readable by this user (ls -l); the app needs the same access.`,
    );
  }
  const summary = `${formatBytes(files.db.size)}${free !== null ? ` · ${formatBytes(free)} free beside it` : ''}`;
  if (free !== null && free < size + ctx.thresholds.diskHeadroomBytes) {
    return checkResult(
      name,
      'file',
      'warn',
      `${summary}: too little room for a backup copy`,
      details,
      `Free disk space on the volume of ${path.dirname(store.file)}: \`cairn migrate\` copies the database beside it first (VACUUM INTO) and needs about ${formatBytes(size)} free.`,
    );
  }
  return checkResult(name, 'file', 'ok', summary, details);
}

function freeBytes(dir: string): number | null {
  try {
    const st = fs.statfsSync(dir);
    return Number(st.bavail) * Number(st.bsize);
  } catch {
    // Free space is a detail of the report; a platform or folder that cannot tell just leaves it out.
    return null;
  }
}

/** The database and its side files must not be readable by other users: they hold the user's data. */
export function permissionsCheck(ctx: StoreContext): DoctorCheck {
  const { store, files } = ctx;
  if (process.platform === 'win32') return checkResult(store.name, 'permissions', 'idle', 'not checked on Windows (ACLs, not mode bits)');
  if (!files.db) return checkResult(store.name, 'permissions', 'idle', 'no file yet');
  const details: Record<string, string> = {};
  const wide: string[] = [];
  for (const f of [files.db, files.wal, files.shm, files.journal]) {
    if (!f) continue;
    details[path.basename(f.path)] = modeText(f.mode);
    if ((f.mode & 0o077) !== 0) wide.push(f.path);
  }
  const dir = path.dirname(store.file);
  let dirWritable = false;
  try {
    const mode = fs.statSync(dir).mode & 0o777;
    details[`${path.basename(dir)}/`] = modeText(mode);
    dirWritable = (mode & 0o022) !== 0;
  } catch {
    // the folder exists (the file does); an unreadable one shows up in the file check
  }
  if (wide.length === 0 && !dirWritable) return checkResult(store.name, 'permissions', 'ok', 'private to this user', details);
  const problems = [
    ...(wide.length ? [`${plural(wide.length, 'file')} readable or writable by others`] : []),
    ...(dirWritable ? ['its folder is writable by others'] : []),
  ];
  const fixes = [...(wide.length ? [`chmod 600 ${wide.map(shellQuote).join(' ')}`] : []), ...(dirWritable ? [`chmod go-w ${shellQuote(dir)}`] : [])];
  return checkResult(store.name, 'permissions', 'warn', problems.join('; '), details, `Make them private: ${fixes.join(' && ')}`);
}

function modeText(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

function shellQuote(p: string): string {
  return /^[\w@%+=:,./~-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

/** Backups beside the store: the newest pre-migration copies (kept on purpose) and cutover leftovers (to delete once trusted). */
export function backupsCheck(ctx: StoreContext): DoctorCheck {
  const { store, now, thresholds } = ctx;
  const migrationBackups = listBackups(store.file);
  const cutovers = listCutoverBackups(store.file);
  const details: Record<string, string | number> = {};
  const sizeOf = (files: string[]) => files.reduce((sum, f) => sum + (fs.statSync(f, { throwIfNoEntry: false })?.size ?? 0), 0);
  if (migrationBackups.length) {
    details['migration backups'] = `${migrationBackups.length} (${formatBytes(sizeOf(migrationBackups))})`;
    details['newest'] = migrationBackups.at(-1) as string;
  }
  const leftovers = listCutoverLeftovers(store.file);
  if (leftovers.length) {
    const bytes = leftovers.reduce((sum, l) => sum + l.bytes, 0);
    details['unfinished cutovers'] = `${plural(leftovers.length, 'file or folder', 'files and folders')} (${formatBytes(bytes)})`;
    return checkResult(
      store.name,
      'backups',
      'warn',
      `${plural(leftovers.length, 'leftover')} of cutovers that never swapped, ${formatBytes(bytes)}`,
      { ...details, leftovers: leftovers.length, leftoverBytes: bytes },
      `Nothing refers to them: the next cairn cutover removes them first, or delete them now: rm -r ${leftovers.map((l) => shellQuote(l.path)).join(' ')}`,
    );
  }
  const maxAgeMs = thresholds.cutoverBackupMaxAgeDays * 86_400_000;
  const old = cutovers.filter((f) => now - (fs.statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? now) > maxAgeMs);
  for (const f of cutovers) details[path.basename(f)] = formatBytes(sizeOf([f]));
  const summary =
    migrationBackups.length + cutovers.length === 0
      ? 'no backups beside it'
      : [
          migrationBackups.length ? `${plural(migrationBackups.length, 'pre-migration backup')} kept` : '',
          cutovers.length ? `${plural(cutovers.length, 'cutover leftover')}` : '',
        ]
          .filter(Boolean)
          .join(' · ');
  if (old.length) {
    return checkResult(
      store.name,
      'backups',
      'warn',
      `${summary}, ${old.length} older than ${thresholds.cutoverBackupMaxAgeDays} days`,
      details,
      `The cutover finished and the app has run on the new file since; once you trust it, delete ${old.map(shellQuote).join(' ')} (with its -wal/-shm, if any).`,
    );
  }
  return checkResult(store.name, 'backups', migrationBackups.length + cutovers.length ? 'ok' : 'idle', summary, details);
}

export function newestBackup(dbFile: string): string | null {
  return listBackups(dbFile).at(-1) ?? listCutoverBackups(dbFile).at(-1) ?? null;
}
