import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, FILE_MODE, isInside } from '../sqlite/files.js';

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
export function copyOnce(from: string, to: string, options: { dryRun: boolean; fromRoot: string; toRoot: string }): CopyOutcome {
  // Both ends come from the legacy data (a record's id, a path in a JSON file): neither may lead out of its folder.
  if (!isInside(options.toRoot, to)) throw new Error(`the destination ${to} is outside the stores' home ${options.toRoot}; nothing was written`);
  if (fs.lstatSync(to, { throwIfNoEntry: false })) return 'alreadyPresent';
  if (!fs.existsSync(from)) return 'skipped';
  if (!isInside(options.fromRoot, from)) throw new Error(`the source ${from} resolves outside the import's source folder ${options.fromRoot}; it was not read`);
  if (!fs.statSync(from).isFile()) throw new Error(`the source ${from} is not a regular file`);
  if (options.dryRun) {
    fs.accessSync(from, fs.constants.R_OK);
    return 'copied';
  }
  ensurePrivateDir(path.dirname(to));
  const temporary = `${to}.cairn-partial-${process.pid}`;
  try {
    fs.copyFileSync(from, temporary);
    // A copy takes its source's mode; what cairn writes is private to the user, as its databases are.
    fs.chmodSync(temporary, FILE_MODE);
    fs.renameSync(temporary, to);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  return 'copied';
}
