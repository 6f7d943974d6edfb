import type { ImportSummary } from '../importers/run.js';
import { duration, grouping as n, plural } from '../words.js';
import type { Style } from './io.js';

/** The human report of an import: a pure function of the summary `--json` prints. */
export function renderImport(r: ImportSummary, s: Style): string {
  const out: string[] = [];
  out.push(`${s.bold(`import ${r.plan}`)} → ${s.bold(r.store)}  ${s.dim(r.file)}${r.dryRun ? '  (dry run: nothing written)' : ''}`);
  if (r.created) out.push(`  ${r.dryRun ? 'would create' : 'created'} the DB through its migrations`);
  else if (r.migrated && r.migrated.planned.length > 0)
    out.push(`  ${r.dryRun ? 'would migrate' : 'migrated'} ${r.migrated.from ?? 'none'} → ${r.migrated.to ?? 'none'} first`);
  out.push('', `  ${'source'.padEnd(18)}${'files'.padStart(7)}${'records'.padStart(10)}${'skipped'.padStart(9)}${'rejected'.padStart(10)}`);
  for (const [name, src] of Object.entries(r.sources)) {
    out.push(
      `  ${name.padEnd(18)}${n(src.files).padStart(7)}${n(src.records).padStart(10)}${n(src.skipped).padStart(9)}${n(src.rejected).padStart(10)}${src.note ? s.dim(`  ${src.note}`) : ''}`,
    );
    const reasons = Object.entries(src.skipReasons ?? {});
    if (reasons.length > 0) out.push(s.dim(`  ${''.padEnd(18)}skipped: ${reasons.map(([why, count]) => `${why} ×${n(count)}`).join(', ')}`));
  }
  const verb = r.dryRun ? 'would insert' : 'inserted';
  out.push('', `  ${'table'.padEnd(18)}${verb.padStart(13)}${'already present'.padStart(17)}${'updated'.padStart(9)}${'rejected'.padStart(10)}`);
  for (const [table, t] of Object.entries(r.tables)) {
    out.push(`  ${table.padEnd(18)}${n(t.inserted).padStart(13)}${n(t.alreadyPresent).padStart(17)}${n(t.updated).padStart(9)}${n(t.rejected).padStart(10)}`);
  }
  if (Object.keys(r.copies).length > 0) {
    out.push(
      '',
      `  ${'copies'.padEnd(18)}${(r.dryRun ? 'would copy' : 'copied').padStart(13)}${'already present'.padStart(17)}${'skipped'.padStart(9)}${'failed'.padStart(10)}`,
    );
    for (const [label, c] of Object.entries(r.copies)) {
      out.push(`  ${label.padEnd(18)}${n(c.copied).padStart(13)}${n(c.alreadyPresent).padStart(17)}${n(c.skipped).padStart(9)}${n(c.failed).padStart(10)}`);
    }
  }
  out.push('');
  const rows = Object.values(r.tables).reduce((sum, t) => sum + t.inserted + t.updated, 0);
  const seen = Object.values(r.tables).reduce((sum, t) => sum + t.alreadyPresent, 0);
  const mark = r.rejected > 0 ? s.warn : s.ok;
  const wrote = r.dryRun
    ? `would write ${plural(rows, 'row')}`
    : rows === 0 && seen > 0
      ? `nothing new: ${seen === 1 ? 'the one row is' : `all ${plural(seen, 'row')}`} already present`
      : `wrote ${plural(rows, 'row')}`;
  out.push(
    `  ${r.stopped ? s.warn : mark} ${wrote} in ${duration(r.elapsedMs)} (${n(r.rowsPerSecond)} rows/s)${r.stopped ? ', then stopped before the end of the input' : ''}`,
  );
  if (r.rejected > 0) {
    out.push(`  ${s.warn} ${n(r.rejected)} rejected${r.rejectsFile ? ` → ${r.rejectsFile}` : ' (a real run writes them to a rejects file)'}`);
    for (const x of r.rejectSamples) {
      const at = [x.file, x.line ?? x.key].filter((v) => v !== undefined).join(':');
      out.push(`      ${s.dim(at)}${x.table ? ` [${x.table}]` : ''} ${x.reason}`);
    }
  }
  for (const w of r.warnings) out.push(`  ${s.warn} ${w}`);
  return out.join('\n') + '\n';
}
