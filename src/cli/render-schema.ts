import type { AdoptResult } from '../adopt/adopt.js';
import type { BaselineResult } from '../schema/write-baseline.js';
import type { Style } from './io.js';
import { plural } from '../words.js';

/** Human renderers for adopt and baseline: pure functions of the values `--json` prints. */
export function renderAdopt(r: AdoptResult, s: Style): string {
  const out: string[] = [];
  if (r.alreadyAdopted) {
    out.push(`${s.ok} ${s.bold(r.store)}: already adopted from ${r.from} (${r.table}); nothing written`);
  } else {
    const verb = r.dryRun ? 'would adopt' : 'adopted';
    out.push(
      `${r.dryRun ? s.idle : s.ok} ${s.bold(r.store)}: ${verb} ${plural(r.adopted.length, 'version')} from ${r.from} (${r.table}), which stays in place`,
    );
    for (const a of r.adopted)
      out.push(`  ${s.ok} ${a.name}${a.checked ? s.dim(`  (${a.checked} checksum matches)`) : s.dim(`  (${r.from} kept no checksum)`)}`);
  }
  for (const p of r.pending) out.push(`  ${s.idle} pending   ${p.name}  ${s.dim('(cairn migrate applies it)')}`);
  for (const n of r.notes) out.push(`  ${s.warn} ${n}`);
  return out.join('\n') + '\n';
}

export function renderBaseline(r: BaselineResult, s: Style): string {
  const out = [
    `${s.ok} ${s.bold(r.store)}: baseline at version ${r.version} written to ${r.out} (${r.objects.length} object${r.objects.length === 1 ? '' : 's'}; ${r.engine === 'postgres' ? 're-creates the same schema in an empty one, checked' : 're-creates the same sqlite_master, checked'})`,
    `  Next: in the store's config set  "baseline": ${JSON.stringify(r.config)}`,
    `  Fresh DBs then start from it. Retire the files it covers (${r.covers.length > 1 ? `${r.covers[0]} … ${r.covers.at(-1)}` : (r.covers[0] ?? 'none')}) once every user DB is at ${r.version} or later;`,
    `  a DB still below it is then a legacy chain, refused with the way over (cairn cutover).`,
  ];
  return out.join('\n') + '\n';
}
