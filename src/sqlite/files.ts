import fs from 'node:fs';
import path from 'node:path';

/** Files cairn creates are private to the user: 0600 files in 0700 folders. */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;
/** cairn's lock sidecar beside a database (see lock.ts). */
export const LOCK_SUFFIX = '.cairn-lock';

export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
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
    // Only "not there yet" falls back to the parent; a loop or a permission error is the caller's to hear about.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
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
  } catch {
    return false;
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
