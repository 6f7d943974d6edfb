import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../sqlite/db.js';
import { isMigrationFileName } from './file-name.js';
import { readFingerprint } from './history.js';

/**
 * How startup knows, without reading or hashing any migration, that nothing
 * changed on disk since the last clean run: a hash of the folder listing and
 * each file's size, mtime, ctime and inode (plus the baseline's). ctime cannot
 * be set back by tools like `touch -r`, so any write to a file changes it and
 * the next start does the full check, which catches an edit. The value is
 * stored in cairn_meta after a clean run and deleted by any history change.
 *
 * The listing is kept as it is, not hashed: it is exact (no collision can
 * hide a change), a few dozen bytes a file, and the startup path does not
 * load node:crypto (~9 ms of every app start).
 */
export function sourceFingerprint(dir: string | null, baseline: { file: string; version: number } | null): string {
  const lines: string[] = ['cairn-fp-2\n'];
  const hash = { update: (line: string) => lines.push(line) };
  if (dir) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const name of names.sort()) {
      if (!isMigrationFileName(name)) continue;
      hash.update(statLine(path.join(dir, name), name));
    }
  }
  if (baseline) hash.update(`baseline ${baseline.version} ${statLine(baseline.file, 'baseline')}`);
  return lines.join('');
}

function statLine(file: string, label: string): string {
  try {
    const s = fs.statSync(file, { bigint: true });
    return `${label}\0${s.size}\0${s.mtimeNs}\0${s.ctimeNs}\0${s.ino}\n`;
  } catch {
    // Any file that cannot be stat'ed changes the fingerprint, so startup takes the full path and reports it.
    return `${label}\0absent\n`;
  }
}

/**
 * Whether the DB's recorded fingerprint matches the files as they are now:
 * nothing changed on disk or in the history since the last clean full run.
 */
export function isUpToDate(db: Db, dir: string | null, baseline: { file: string; version: number } | null): boolean {
  let stored: string | undefined;
  try {
    stored = readFingerprint(db);
  } catch {
    // No cairn_meta yet (a fresh DB), or any failure reading it: "not known to be up to date" only sends
    // the caller down the full path, which reads everything again and reports what is wrong.
    return false;
  }
  return stored !== undefined && stored === sourceFingerprint(dir, baseline);
}
