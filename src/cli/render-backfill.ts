import type { BackfillResult } from '../backfill/run.js';
import type { BackfillStatusEntry } from '../backfill/status.js';
import { duration, grouping as n, plural } from '../words.js';
import type { Style } from './io.js';

/** The human report of one backfill run: a pure function of what `--json` prints. */
export function renderBackfill(r: BackfillResult, s: Style): string {
  const out: string[] = [];
  out.push(`${s.bold(`backfill ${r.job}`)} → ${s.bold(r.store)}  ${s.dim(r.file)}`);
  if (r.outcome === 'already-complete') {
    out.push(`  ${s.ok} already complete (last watermark ${r.lastWatermark ?? 'none'}); nothing read. --refresh looks for new and grown items`);
    return out.join('\n') + '\n';
  }
  if (r.outcome === 'busy') {
    out.push(`  ${s.warn} another process is running this job (${r.holder?.owner}, lease until ${r.holder?.expiresAt}); nothing done. Run again once it ends`);
    return out.join('\n') + '\n';
  }
  const i = r.items;
  const read = [
    ['new', i.new],
    ['resumed', i.resumed],
    ['grown', i.grown],
    ['changed', i.changed],
    ['retried', i.retried],
  ]
    .filter(([, count]) => (count as number) > 0)
    .map(([label, count]) => `${n(count as number)} ${label}`);
  out.push(
    `  items: ${n(i.listed)} listed · ${read.length ? read.join(' · ') : 'none to read'} · ${n(i.unchanged)} already done${i.missing ? ` · ${n(i.missing)} gone from disk (rows kept)` : ''}`,
  );
  if (Object.keys(r.tables).length > 0) {
    out.push('', `  ${'table'.padEnd(18)}${'inserted'.padStart(10)}${'already present'.padStart(17)}${'updated'.padStart(9)}${'rejected'.padStart(10)}`);
    for (const [table, t] of Object.entries(r.tables)) {
      out.push(`  ${table.padEnd(18)}${n(t.inserted).padStart(10)}${n(t.alreadyPresent).padStart(17)}${n(t.updated).padStart(9)}${n(t.rejected).padStart(10)}`);
    }
  }
  out.push('');
  const rows = Object.values(r.tables).reduce((sum, t) => sum + t.inserted + t.updated, 0);
  const verdict = r.outcome === 'complete' ? 'complete' : 'stopped before the end (the next run resumes)';
  const mark = r.outcome !== 'complete' || r.rejected > 0 || i.failed > 0 ? s.warn : s.ok;
  out.push(
    `  ${mark} ${verdict}: wrote ${plural(rows, 'row')} in ${duration(r.elapsedMs)} (${n(r.rowsPerSecond)} rows/s), watermark ${r.lastWatermark ?? 'none'}`,
  );
  if (i.failed > 0) out.push(`  ${s.warn} ${plural(i.failed, 'item')} could not be read; recorded and skipped, a later run retries them`);
  if (r.rejected > 0) {
    out.push(`  ${s.warn} ${n(r.rejected)} rejected → ${r.rejectsFile}`);
    for (const x of r.rejectSamples) {
      const at = [x.file, x.line].filter((v) => v !== undefined).join(':');
      out.push(`      ${s.dim(at)}${x.table ? ` [${x.table}]` : ''} ${x.reason}`);
    }
  }
  for (const w of r.warnings) out.push(`  ${s.warn} ${w}`);
  return out.join('\n') + '\n';
}

/** `cairn backfill --status`: one block per job. */
export function renderBackfillStatus(jobs: BackfillStatusEntry[], s: Style): string {
  if (jobs.length === 0) return 'no backfill jobs: none declared in the config\'s "backfills" and none recorded in any store\n';
  const out: string[] = [];
  for (const j of jobs) {
    const mark = j.phase === 'complete' ? (j.itemsFailed > 0 || j.rejected > 0 ? s.warn : s.ok) : j.phase === 'running' ? s.idle : s.warn;
    out.push(`${mark} ${s.bold(j.job)} → ${j.store}: ${j.phase}${j.declared ? '' : s.dim(' (not in the config)')}`);
    out.push(`    ${j.reason}`);
    out.push(
      `    ${plural(j.itemsDone, 'item')} · ${plural(j.rowsDone, 'row')} · ${n(j.itemsFailed)} failed · ${n(j.rejected)} rejected · watermark ${j.lastWatermark ?? 'none'}`,
    );
    if (j.rejectsFile) out.push(`    rejects: ${j.rejectsFile}`);
    for (const f of j.failedItems) out.push(`    ${s.dim(f.file)} ${f.error}`);
  }
  return out.join('\n') + '\n';
}
