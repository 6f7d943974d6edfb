import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir } from '../sqlite/files.js';

export interface CopyCounts {
  copied: number;
  alreadyPresent: number;
  /** The source file was not there (a transcript that never existed): nothing to move. */
  skipped: number;
  failed: number;
}

export type CopyOutcome = keyof CopyCounts;

/**
 * Puts one file in place, idempotently: a destination that exists is left
 * alone, a missing source is skipped. The copy goes to a temporary name and
 * is renamed, so a process killed mid-copy never leaves a partial file that
 * a re-run would take for a finished one.
 */
export function copyOnce(from: string, to: string, options: { dryRun: boolean }): CopyOutcome {
  if (fs.existsSync(to)) return 'alreadyPresent';
  if (!fs.existsSync(from)) return 'skipped';
  if (options.dryRun) {
    fs.accessSync(from, fs.constants.R_OK);
    return 'copied';
  }
  ensurePrivateDir(path.dirname(to));
  const temporary = `${to}.cairn-partial-${process.pid}`;
  try {
    fs.copyFileSync(from, temporary);
    fs.renameSync(temporary, to);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  return 'copied';
}
