import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { globSync } from 'tinyglobby';
import { expandTilde } from '../config/paths.js';
import { CairnError, errorMessage } from '../errors.js';
import { irregularMatches } from '../importers/irregular.js';
import type { BackfillContext, BackfillItem, BackfillJob } from './define.js';

/**
 * Lists a job's items in watermark order. Watermarks compare as plain
 * strings (code units, never the locale), so every machine and every run
 * sees the same order; two items with one watermark are refused, since the
 * checkpoint could not tell them apart.
 */
export function listItems(job: BackfillJob, name: string, context: BackfillContext): BackfillItem[] {
  let files: string[];
  if (typeof job.items === 'function') {
    try {
      files = job.items(context).map((f) => path.resolve(context.root, expandTilde(f)));
    } catch (error) {
      throw new CairnError('E_PLAN', `backfill ${name}: items() threw: ${errorMessage(error)}`, { job: name }, { cause: error });
    }
  } else {
    const patterns = (Array.isArray(job.items) ? job.items : [job.items]).map(expandTilde);
    // A history folder that does not exist yet (a fresh install) simply has no items.
    // Matches that are not regular files (a FIFO, a dangling link) are items too: reading them fails, so they are counted, reported and retried.
    files = fs.existsSync(context.root)
      ? [
          ...globSync(patterns, { cwd: context.root, absolute: true, onlyFiles: true, dot: false }),
          ...irregularMatches(context.root, patterns).map((entry) => entry.file),
        ]
      : [];
  }
  const items = [...new Set(files)].map((file) => ({ file, watermark: watermarkOf(job, name, file, context) }));
  items.sort((a, b) => (a.watermark < b.watermark ? -1 : a.watermark > b.watermark ? 1 : 0));
  for (let i = 1; i < items.length; i++) {
    const [a, b] = [items[i - 1] as BackfillItem, items[i] as BackfillItem];
    if (a.watermark === b.watermark) {
      throw new CairnError(
        'E_PLAN',
        `backfill ${name}: ${a.file} and ${b.file} have the same watermark ${JSON.stringify(a.watermark)}; watermarks must be unique`,
        {
          job: name,
          watermark: a.watermark,
        },
      );
    }
  }
  return items;
}

function watermarkOf(job: BackfillJob, name: string, file: string, context: BackfillContext): string {
  if (!job.watermark) return path.relative(context.root, file).split(path.sep).join('/');
  let mark: unknown;
  try {
    mark = job.watermark(file, context);
  } catch (error) {
    throw new CairnError('E_PLAN', `backfill ${name}: watermark() threw for ${file}: ${errorMessage(error)}`, { job: name, file }, { cause: error });
  }
  if (typeof mark !== 'string' || mark === '') {
    throw new CairnError('E_PLAN', `backfill ${name}: watermark() must return a non-empty string; for ${file} it returned ${String(mark)}`, {
      job: name,
      file,
    });
  }
  return mark;
}

/** What identifies a file's contents cheaply: its size and modification time (nanoseconds, as text: it exceeds 2^53). */
export interface Fingerprint {
  size: number;
  mtime: string;
}

export function fingerprintOf(file: string): Fingerprint {
  const stat = fs.statSync(file, { bigint: true });
  return { size: Number(stat.size), mtime: stat.mtimeNs.toString() };
}

const TAIL = 256;

/**
 * SHA-256 of the bytes just before `offset` (up to 256). If they are still
 * there, the file was appended to rather than rewritten, and reading can
 * resume at `offset`.
 */
export function tailHash(file: string, offset: number): string | null {
  if (offset <= 0) return null;
  const length = Math.min(TAIL, offset);
  const buffer = Buffer.alloc(length);
  const fd = fs.openSync(file, 'r');
  try {
    const read = fs.readSync(fd, buffer, 0, length, offset - length);
    if (read < length) return 'short';
  } finally {
    fs.closeSync(fd);
  }
  return crypto.createHash('sha256').update(buffer).digest('hex');
}
