import fs from 'node:fs';
import path from 'node:path';
import type { ImportPlan } from './define.js';
import type { ImportLedger } from './ledger.js';
import { resolveSources } from './sources.js';

/** A plan's legacy files as they are on disk now, against its last complete run. */
export interface PlanFilesOnDisk {
  /** The folder looked in: the last complete run's `--from`, else the home. */
  from: string;
  files: number;
  bytes: number;
  /** Unchanged since the last complete run read them. */
  imported: number;
  /** Read by that run, changed since: running the import again takes in what is new. */
  changed: number;
  /** Not read by any complete run. */
  notImported: number;
}

export function planFilesOnDisk(plan: ImportPlan, ledger: ImportLedger | null, home: string): PlanFilesOnDisk {
  const from = ledger?.from ?? home;
  // Every source looked for as optional: a source that is gone is simply no files on disk.
  const optional = Object.fromEntries(Object.entries(plan.sources).map(([name, spec]) => [name, { ...spec, optional: true }]));
  const files = [...new Set(resolveSources(optional, from).flatMap((s) => s.files))];
  const out: PlanFilesOnDisk = { from, files: 0, bytes: 0, imported: 0, changed: 0, notImported: 0 };
  for (const file of files) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      continue;
    }
    out.files += 1;
    out.bytes += stat.size;
    const seen = ledger?.files[path.relative(from, file)];
    if (!seen) out.notImported += 1;
    else if (seen[0] === stat.size && seen[1] === Math.trunc(stat.mtimeMs)) out.imported += 1;
    else out.changed += 1;
  }
  return out;
}
