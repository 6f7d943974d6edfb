import { errorMessage, isCairnError } from '../../errors.js';
import { compareWithSnapshot, type SnapshotComparison } from '../../snapshot/compare.js';
import { readManifest, verifySnapshotFiles, type SnapshotManifest } from '../../snapshot/manifest.js';
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
  const db = ctx.db;
  const read = readSnapshot(name, dir);
  return 'manifest' in read ? snapshotVerdict(name, dir, read.manifest, compareWithSnapshot(db, dir, read.manifest)) : read.failed;
}

/** The snapshot's manifest with every file checked against it, or the failed check saying why it cannot be used. */
export function readSnapshot(name: string, dir: string): { manifest: SnapshotManifest } | { failed: DoctorCheck } {
  try {
    const manifest = readManifest(dir);
    verifySnapshotFiles(dir, manifest);
    return { manifest };
  } catch (error) {
    const code = isCairnError(error) ? error.code : 'E_SNAPSHOT';
    return {
      failed: checkResult(
        name,
        'snapshot',
        'fail',
        `the snapshot cannot be used: ${errorMessage(error)}`,
        { snapshot: dir, code },
        'Compare against an intact snapshot, or export a new one.',
      ),
    };
  }
}

/**
 * The check's verdict on a comparison, for either engine. A snapshot of
 * another store is compared like any other (a move between stores or
 * engines): its tables must be there and hold its rows.
 */
export function snapshotVerdict(name: string, dir: string, manifest: SnapshotManifest, comparison: SnapshotComparison): DoctorCheck {
  const rows = manifest.tables.reduce((sum, t) => sum + t.rows, 0);
  const details: Record<string, string> = { snapshot: dir, taken: manifest.createdAt, tables: String(manifest.tables.length), rows: String(rows) };
  if (manifest.store !== name) details.from = `store ${manifest.store} (${manifest.engine ?? 'sqlite'})`;
  const bad = comparison.tables.filter((t) => !t.equal);
  if (bad.length === 0)
    return checkResult(name, 'snapshot', 'ok', `all ${plural(rows, 'row')} in ${plural(manifest.tables.length, 'table')} match the snapshot`, details);
  for (const t of bad.slice(0, 5)) {
    const where = t.firstDifference
      ? `; first difference at line ${t.firstDifference.line}: snapshot ${t.firstDifference.expected ?? '(no row)'} · database ${t.firstDifference.actual ?? '(no row)'}`
      : '';
    details[t.table] = `${t.rows === null ? 'no rows' : plural(t.rows, 'row')}, snapshot ${t.expectedRows}${t.note ? ` (${t.note})` : ''}${where}`;
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
