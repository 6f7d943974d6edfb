import type { PruneResult } from '../retention/prune.js';
import { duration, grouping as n, plural } from '../words.js';
import type { Style } from './io.js';

/** The human report of a prune: a pure function of what `--json` prints. */
export function renderPrune(results: readonly PruneResult[], s: Style): string {
  if (results.length === 0) return `${s.idle} no store declares retention\n`;
  const out: string[] = [];
  for (const r of results) {
    const deleted = r.tables.reduce((sum, t) => sum + t.byAge + t.byCount, 0);
    out.push(`${s.ok} ${s.bold(r.store)}: ${r.dryRun ? 'would delete' : 'deleted'} ${plural(deleted, 'row')} in ${duration(r.elapsedMs)}  ${s.dim(r.file)}`);
    for (const t of r.tables) {
      out.push(`  ${t.table.padEnd(20)} ${n(t.byAge).padStart(10)} by age ${n(t.byCount).padStart(10)} by count ${n(t.rowsLeft).padStart(12)} left`);
    }
    if (r.pagesFreed !== null) out.push(`  ${plural(r.pagesFreed, 'page')} given back to the file system`);
    if (r.note) out.push(`  ${s.dim(r.note)}`);
  }
  return out.join('\n') + '\n';
}
