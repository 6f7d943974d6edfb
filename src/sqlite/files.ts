import fs from 'node:fs';
import path from 'node:path';
import { CairnError } from '../errors.js';

/** Files cairn creates are private to the user: 0600 files in 0700 folders. */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;
/** cairn's lock sidecar beside a database (see lock.ts). */
export const LOCK_SUFFIX = '.cairn-lock';

/** Creates a folder (and its parents) mode 0700; a path through a file, or one this user may not write, is a CairnError naming it. */
export function ensurePrivateDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new CairnError(
        'E_CONFIG',
        `cannot create the folder ${dir}: a part of that path is a file, not a folder (check home and the store's file in the config)`,
        { dir },
        { cause: error },
      );
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new CairnError('E_PERMISSION', `cannot create the folder ${dir}: this user may not write there (${code})`, { dir }, { cause: error });
    }
    throw error;
  }
}

/**
 * The one path a file is known by, symlinks resolved: locks and "same file"
 * checks key on it, so a store reached through a link and through its real
 * path is still one store. A file not created yet resolves through its
 * nearest existing folder (a symlinked home folder counts too).
 */
export function canonicalPath(file: string): string {
  const absolute = path.resolve(file);
  try {
    return fs.realpathSync(absolute);
  } catch (error) {
    // Only "not there (yet)" falls back to the parent (ENOTDIR: a part of the path is a file, which opening it reports);
    // a loop or a permission error is the caller's to hear about.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
  }
  const parent = path.dirname(absolute);
  return parent === absolute ? absolute : path.join(canonicalPath(parent), path.basename(absolute));
}

/** Two paths name the same file (the same path, or a hard link / symlink to it). */
export function sameFile(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    return sa.ino === sb.ino && sa.dev === sb.dev;
  } catch (error) {
    // A path that is not there is not the same file; a stat that fails otherwise (EACCES) must not pass as "different".
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Removes a database and everything SQLite and cairn keep beside it (journal, WAL, shared memory, lock sidecar). */
export function removeDatabaseFiles(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal', LOCK_SUFFIX]) fs.rmSync(`${file}${suffix}`, { force: true });
}

/**
 * Creates `file` empty with mode 0600 unless it exists. SQLite then creates
 * its -wal and -shm files with the same permissions as the main file.
 * Returns true when this call created it.
 */
export function ensurePrivateFile(file: string): boolean {
  // The common case (every app start) is an existing file: one stat, no thrown EEXIST.
  if (fs.existsSync(file)) return false;
  ensurePrivateDir(path.dirname(file));
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, FILE_MODE));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** A folder's entries; [] when it does not exist yet (a store not created has nothing beside it). Any other error is real. */
export function entriesOf(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Flushes a file (or a folder's entries, after a rename) to disk. */
export function fsyncPath(target: string): void {
  const fd = fs.openSync(target, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Whether a database file is there. Only "no such file" is false: a path
 * through a file (ENOTDIR) or one this user may not look into (EACCES) is an
 * error naming it, never a store that reads as "not created yet".
 */
export function databaseExists(file: string): boolean {
  try {
    fs.statSync(file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code === 'ENOTDIR') {
      throw new CairnError(
        'E_CONFIG',
        `${file}: a part of that path is a file, not a folder (check home and the store's file in the config)`,
        { file },
        { cause: error },
      );
    }
    if (code === 'EACCES' || code === 'EPERM')
      throw new CairnError('E_PERMISSION', `${file}: this user may not look into its folder (${code})`, { file }, { cause: error });
    throw error;
  }
}

/**
 * Whether `target`, symlinks resolved, lies inside `root` (also resolved).
 * Paths derived from data (a record's field, a manifest's entry) pass through
 * this before they are read or written, so `../../x` or a link out of the
 * folder never reaches a file outside it. A target not created yet is judged
 * by its nearest existing folder.
 */
export function isInside(root: string, target: string): boolean {
  const relative = path.relative(canonicalPath(root), canonicalPath(target));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
