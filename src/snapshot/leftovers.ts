import fs from 'node:fs';
import path from 'node:path';
import { CUTOVER_BACKUP_INFIX } from '../sqlite/backup.js';
import { entriesOf } from '../sqlite/files.js';

/** What a cutover that never reached its swap left beside the store. */
export interface CutoverLeftover {
  path: string;
  bytes: number;
}

/**
 * A cutover works in `<file>.cutover-<stamp>` (its snapshot folder) and
 * `<file>.cutover-<stamp>.new` (the file it builds). Once it swaps, the old
 * file is kept as `<file>.pre-cutover-<stamp>` and the snapshot stays on
 * purpose (verify proves the live file against it). So a snapshot folder
 * with no `pre-cutover` of the same stamp, and any `.new` file, belong to a
 * run that was killed or failed before its swap: nothing refers to them.
 * Callers hold the store's lock, so no running cutover is among them.
 */
export function listCutoverLeftovers(file: string): CutoverLeftover[] {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const prefix = `${base}.cutover-`;
  const names = entriesOf(dir);
  const swapped = new Set(names.filter((n) => n.startsWith(`${base}${CUTOVER_BACKUP_INFIX}`)).map((n) => n.slice(`${base}${CUTOVER_BACKUP_INFIX}`.length)));
  const out: CutoverLeftover[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const isNew = /\.new(-wal|-shm|-journal|\.cairn-lock)?$/.test(rest);
    if (!isNew && swapped.has(rest)) continue;
    const full = path.join(dir, name);
    out.push({ path: full, bytes: sizeOf(full) });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** Bytes of a file, or of every file below a folder. */
function sizeOf(target: string): number {
  const stat = fs.lstatSync(target);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(target).reduce((sum, name) => sum + sizeOf(path.join(target, name)), 0);
}
