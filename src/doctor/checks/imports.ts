import fs from 'node:fs';
import path from 'node:path';
import type { StoreRegistry } from '../../config/stores.js';
import { importRejectsPlanOf } from '../../importers/rejects.js';
import { entriesOf } from '../../sqlite/files.js';
import { plural } from '../format.js';
import type { DoctorCheck } from '../types.js';
import { checkResult } from './result.js';

/**
 * What past imports left behind: an import keeps no state in the database
 * (re-running it is the resume), so its rejects files in the home folder are
 * its record. The newest file of each plan says what its last run could not take.
 */
export function importsCheck(registry: StoreRegistry): DoctorCheck {
  const names = entriesOf(registry.home);
  const byPlan = new Map<string, string[]>();
  for (const name of names.sort()) {
    const plan = importRejectsPlanOf(name);
    if (plan !== null) byPlan.set(plan, [...(byPlan.get(plan) ?? []), path.join(registry.home, name)]);
  }
  if (byPlan.size === 0) {
    const declared = Object.keys(registry.imports).length;
    return checkResult(null, 'imports', declared ? 'ok' : 'idle', declared ? 'no rejected rows on record' : 'no imports declared');
  }
  const details: Record<string, string> = {};
  let rejected = 0;
  for (const [plan, files] of byPlan) {
    const newest = files.at(-1) as string;
    const lines = countLines(newest);
    rejected += lines;
    details[plan] =
      `${plural(lines, 'rejected row')} in ${newest}${files.length > 1 ? ` (+${files.length - 1} older file${files.length > 2 ? 's' : ''})` : ''}`;
  }
  return checkResult(
    null,
    'imports',
    rejected ? 'warn' : 'ok',
    `the last run of ${plural(byPlan.size, 'import')} rejected ${plural(rejected, 'row')}`,
    details,
    'Each line of a rejects file names the source file, line and reason: fix the source and run the import again (rows already imported are skipped). Delete the file once handled.',
  );
}

function countLines(file: string): number {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 16);
    let n = 0;
    let read: number;
    let last = 0x0a;
    while ((read = fs.readSync(fd, buf, 0, buf.length, null)) > 0) {
      for (let i = 0; i < read; i++) if (buf[i] === 0x0a) n++;
      last = buf[read - 1] as number;
    }
    return last === 0x0a ? n : n + 1;
  } finally {
    fs.closeSync(fd);
  }
}
