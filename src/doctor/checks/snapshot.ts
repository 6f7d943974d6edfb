import { errorMessage, isCairnError } from '../../errors.js';
import { compareWithSnapshot } from '../../snapshot/compare.js';
import { readManifest, verifySnapshotFiles } from '../../snapshot/manifest.js';
import { plural } from '../format.js';
import type { StoreContext } from '../inspect.js';
import type { DoctorCheck } from '../types.js';
import { checkResult, skipped } from './result.js';

/**
 * The database holds a snapshot's rows: the snapshot's files match their
 * manifest, and every table's rows, rebuilt the way export writes them,
 * equal the snapshot's line for line.
 */
export function snapshotCheck(ctx: StoreContext, dir: string): DoctorCheck {
  const name = ctx.store.name;
  if (!ctx.db) return skipped(name, 'snapshot', 'the database cannot be read (see file)');
  let manifest;
  try {
    manifest = readManifest(dir);
    verifySnapshotFiles(dir, manifest);
  } catch (error) {
    const code = isCairnError(error) ? error.code : 'E_SNAPSHOT';
    return checkResult(
      name,
      'snapshot',
      'fail',
      `the snapshot cannot be used: ${errorMessage(error)}`,
      { snapshot: dir, code },
      'Compare against an intact snapshot, or export a new one.',
    );
  }
  if (manifest.store !== name) {
    return checkResult(name, 'snapshot', 'fail', `the snapshot is of store ${manifest.store}`, { snapshot: dir }, `Verify it with --store ${manifest.store}.`);
  }
  const comparison = compareWithSnapshot(ctx.db, dir, manifest);
  const rows = manifest.tables.reduce((sum, t) => sum + t.rows, 0);
  const details: Record<string, string> = { snapshot: dir, taken: manifest.createdAt, tables: String(manifest.tables.length), rows: String(rows) };
  const bad = comparison.tables.filter((t) => !t.equal);
  if (bad.length === 0)
    return checkResult(name, 'snapshot', 'ok', `all ${plural(rows, 'row')} in ${plural(manifest.tables.length, 'table')} match the snapshot`, details);
  for (const t of bad.slice(0, 5)) {
    const where = t.firstDifference
      ? `; first difference at line ${t.firstDifference.line}: snapshot ${t.firstDifference.expected ?? '(no row)'} · database ${t.firstDifference.actual ?? '(no row)'}`
      : '';
    details[t.table] = `${t.rows ?? 'no'} rows, snapshot ${t.expectedRows}${t.note ? ` (${t.note})` : ''}${where}`;
  }
  return checkResult(
    name,
    'snapshot',
    'fail',
    `${plural(bad.length, 'table')} differ from the snapshot: ${bad.map((t) => t.table).join(', ')}`,
    details,
    'The database changed since the snapshot was taken, or a restore did not carry every value. If the snapshot is the truth, restore it into a new file (cairn restore) and cut over.',
  );
}
