import type { CutoverResult } from '../snapshot/cutover.js';
import type { ExportResult } from '../snapshot/export.js';
import type { RestoreResult } from '../snapshot/restore.js';
import type { SnapshotComparison } from '../snapshot/compare.js';
import { duration, plural } from '../words.js';
import type { Style } from './io.js';

export function renderExport(result: ExportResult, s: Style): string {
  const { manifest } = result;
  const out = [
    `${s.ok} ${s.bold(result.store)}: ${plural(result.rows, 'row')} in ${plural(manifest.tables.length, 'table')} exported in ${duration(result.elapsedMs)}`,
  ];
  out.push(`  snapshot  ${result.dir}`);
  out.push(`  schema    version ${manifest.schemaVersion ?? 'none'}${manifest.legacyChain ? ' (legacy chain)' : ''}`);
  const width = Math.max(0, ...manifest.tables.map((t) => t.name.length));
  for (const t of manifest.tables)
    out.push(s.dim(`  ${t.name.padEnd(width)}  ${plural(t.rows, 'row ', 'rows').padStart(17)}  ${t.file}  sha256 ${t.sha256.slice(0, 12)}…`));
  for (const skipped of manifest.skipped) out.push(`${s.warn} ${skipped.name} not exported: ${skipped.reason}`);
  out.push(s.dim(`restore it: cairn restore --from ${result.dir} --target <new file>`));
  return out.join('\n') + '\n';
}

export function renderRestore(result: RestoreResult, s: Style): string {
  const out = [
    `${result.verification.equal ? s.ok : s.fail} ${s.bold(result.store)}: ${plural(result.rows, 'row')} restored into ${result.target} in ${duration(result.elapsedMs)}`,
  ];
  if (result.migrated && result.migrated.applied.length > 0)
    out.push(`  schema    built by ${plural(result.migrated.applied.length, 'migration step')}, version ${result.migrated.to ?? 'none'}`);
  for (const t of result.tables) {
    if (t.droppedColumns.length) out.push(`${s.warn} ${t.table}: columns left out: ${t.droppedColumns.join(', ')}`);
    if (t.defaultedColumns.length) out.push(s.dim(`  ${t.table}: took defaults for ${t.defaultedColumns.join(', ')}`));
  }
  for (const t of result.droppedTables) out.push(`${s.warn} table ${t} left out`);
  for (const w of result.warnings) out.push(`${s.warn} ${w}`);
  out.push(...renderComparison(result.verification, s));
  return out.join('\n') + '\n';
}

export function renderComparison(comparison: SnapshotComparison, s: Style): string[] {
  const out: string[] = [];
  const compared = comparison.tables.filter((t) => t.comparedBy === 'values' && t.equal).length;
  if (comparison.equal) {
    const total = comparison.tables.length;
    const which =
      compared === total
        ? total === 1
          ? 'the table equals'
          : `all ${total} tables equal`
        : `${compared} of ${plural(total, 'table')} ${compared === 1 ? 'equals' : 'equal'}`;
    out.push(`${s.ok} verified: ${which} the snapshot line for line${compared < total ? ', the rest by row count' : ''}`);
    return out;
  }
  for (const t of comparison.tables.filter((x) => !x.equal)) {
    const diff = t.firstDifference
      ? ` — line ${t.firstDifference.line}: snapshot ${t.firstDifference.expected ?? '(no row)'} · now ${t.firstDifference.actual ?? '(no row)'}`
      : '';
    out.push(
      `${s.fail} ${t.table}: ${t.rows === undefined || t.rows === null ? 'no rows' : plural(t.rows, 'row')}, snapshot ${t.expectedRows}${t.note ? ` (${t.note})` : ''}${diff}`,
    );
  }
  return out;
}

export function renderCutover(result: CutoverResult, s: Style): string {
  const out = [
    `${s.ok} ${s.bold(result.store)}: ${result.dryRun ? 'cutover dry run passed' : 'cut over'} — ${plural(result.restore.rows, 'row')} in ${plural(result.restore.tables.length, 'table')}, version ${result.schemaVersion ?? 'none'}, quick_check ${result.quickCheck.join('; ')} (${duration(result.elapsedMs)})`,
    `  live file  ${result.file}`,
    ...(result.previous ? [`  old file   ${result.previous}`] : []),
    `  snapshot   ${result.snapshot}`,
  ];
  for (const w of result.restore.warnings) out.push(`${s.warn} ${w}`);
  out.push(...renderComparison(result.restore.verification, s));
  out.push('', s.bold('Next'));
  for (const step of result.next) out.push(`  ${step}`);
  return out.join('\n') + '\n';
}
