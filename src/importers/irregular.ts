import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';

/** An entry a glob matches that is not a regular file (or a link to one): kept aside and reported, never opened. */
export interface IrregularEntry {
  file: string;
  reason: string;
}

/**
 * tinyglobby returns regular files (and links to them) only: a FIFO, a
 * socket or a dangling link that matches a source's or a job's glob is left
 * out without a word. This walks the same folder with the same matcher
 * (picomatch, which tinyglobby uses) and names those entries, so they are
 * counted and reported instead of silently missing. Folders are not
 * reported: a glob walks through them.
 */
export function irregularMatches(cwd: string, patterns: readonly string[]): IrregularEntry[] {
  const matches = picomatch([...patterns], { dot: false });
  const out: IrregularEntry[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(cwd, { recursive: true, withFileTypes: true });
  } catch (error) {
    // The glob itself already read this folder; one that vanished since has nothing to report.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  for (const entry of entries) {
    if (entry.isFile() || entry.isDirectory()) continue;
    const full = path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    const relative = path.relative(cwd, full).split(path.sep).join('/');
    if (!matches(relative)) continue;
    const reason = irregularKind(full);
    if (reason) out.push({ file: full, reason: `${reason}, not a regular file: not read` });
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : 1));
}

/** What a path is when it is not a regular file (links followed), or null. */
export function irregularKind(file: string): string | null {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) return 'a dangling link';
  if (stat.isFile()) return null;
  return stat.isDirectory() ? 'a folder' : stat.isFIFO() ? 'a FIFO' : 'a socket or device';
}
