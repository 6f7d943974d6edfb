import fs from 'node:fs';
import path from 'node:path';
import type { BackfillContext, BackfillJob } from './define.js';
import { listItems } from './items.js';
import { planWork, type BackfillItemCounts } from './run.js';
import type { ItemRecord } from './state.js';

/** A job's items as they are on disk now, against what its state records. */
export interface JobFilesOnDisk {
  files: number;
  bytes: number;
  /** Read to the end and unchanged since. */
  backfilled: number;
  /** Never read, cut short, or unreadable last time: the next plain run reads them. */
  notYet: number;
  /** Read, then appended to: `--refresh` reads the new lines. */
  grown: number;
  /** Read, then rewritten: their rows no longer match the file; `--refresh` reads them again. */
  rewritten: number;
  /** Up to `sample` rewritten files, relative to the job's folder, by watermark. */
  rewrittenSample: string[];
}

/**
 * Compares a job's listed items with its recorded ones, the way `--refresh`
 * would (planWork): a stat per item, and a hash of 256 bytes only for a done
 * item whose size or time changed. Reads no item in full.
 */
export function jobFilesOnDisk(job: BackfillJob, name: string, context: BackfillContext, records: Map<string, ItemRecord>, sample = 5): JobFilesOnDisk {
  const items = listItems(job, name, context);
  const counts: BackfillItemCounts = { listed: 0, unchanged: 0, new: 0, resumed: 0, grown: 0, changed: 0, retried: 0, failed: 0, missing: 0 };
  const work = planWork(items, records, true, counts);
  const sizes = new Map<string, number>();
  for (const item of items) {
    try {
      sizes.set(item.file, fs.statSync(item.file).size);
    } catch {
      // listed but gone or unreadable now: counted as not yet read, its bytes unknown
    }
  }
  // A file whose time changed but which holds nothing past its recorded offset (copied, touched) has nothing new to read.
  const touched = work.filter((w) => w.reason === 'grown' && (sizes.get(w.file) ?? Infinity) <= w.start).length;
  return {
    files: items.length,
    bytes: [...sizes.values()].reduce((n, size) => n + size, 0),
    backfilled: counts.unchanged + touched,
    notYet: counts.new + counts.resumed + counts.retried,
    grown: counts.grown - touched,
    rewritten: counts.changed,
    rewrittenSample: work
      .filter((w) => w.reason === 'changed')
      .slice(0, sample)
      .map((w) => path.relative(context.root, w.file)),
  };
}
