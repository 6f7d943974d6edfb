import fs from 'node:fs';
import { CairnError } from '../errors.js';
import type { Db } from '../sqlite/db.js';
import { WriteLock } from '../sqlite/lock.js';
import { forgetFingerprint, META_TABLE, readMeta, writeMeta } from './history.js';

/**
 * A NO TRANSACTION file runs statement by statement, so a kill (or a failure
 * with no copy to put back) leaves part of it applied. Before its first
 * statement runs, a marker is committed in cairn_meta; the transaction that
 * records the file as applied deletes it. A marker found later means the file
 * was interrupted: every run refuses (E_INTERRUPTED) until the user picks a
 * recovery, and the copy taken before the file stays the restore point.
 */
export interface InterruptedRun {
  version: number;
  name: string;
  checksum: string;
  startedAt: string;
  /** The copy taken just before the file's first statement, or null (backups off). */
  backup: string | null;
  /** The statement that failed, when the run ended in an error rather than a kill. */
  failedStatement: number | null;
  /** Statements known to have committed, and a checksum of their text (resume.ts); absent in markers of earlier releases. */
  completed?: number;
  completedChecksum?: string;
}

/**
 * What to do with an interrupted file: put the copy taken before it back, run
 * it again from its first statement, or go on from the first statement that
 * did not run (resume.ts).
 */
export type RecoverChoice = 'restore' | 'rerun' | 'resume';

const KEY = 'interrupted';

export function readInterrupted(db: Db): InterruptedRun | null {
  // No cairn_meta: cairn never ran a file here, so none can have been interrupted.
  if (!tableExists(db, META_TABLE)) return null;
  const text = readMeta(db, KEY);
  return text === undefined ? null : (JSON.parse(text) as InterruptedRun);
}

/**
 * The marker as a reader outside the store's lock must take it: one read
 * while another process holds the lock belongs to a run still in progress
 * (that process clears it before it lets go), so it is not an interrupted
 * file, and a dry run or a status must not refuse on it. Otherwise the
 * marker is read again under the lock, taken for that moment only.
 */
export function readInterruptedOutsideLock(db: Db, dbFile: string): InterruptedRun | null {
  if (!readInterrupted(db)) return null;
  const lock = WriteLock.tryAcquire(dbFile);
  if (lock === null) return null;
  try {
    return readInterrupted(db);
  } finally {
    if (lock instanceof WriteLock) lock.release();
  }
}

function tableExists(db: Db, name: string): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
}

/** Committed before the first statement of a NO TRANSACTION file (migrateStore has made cairn's tables by then). */
export function markStarted(db: Db, run: InterruptedRun): void {
  db.withTransaction(() => {
    writeMeta(db, KEY, JSON.stringify(run));
    forgetFingerprint(db);
  });
}

/** Called inside the transaction that records the file as applied, or after a copy was put back. */
export function clearInterrupted(db: Db): void {
  db.prepare(`DELETE FROM ${META_TABLE} WHERE key = ?`).run(KEY);
}

export function recordFailedStatement(db: Db, run: InterruptedRun, statement: number | null): void {
  writeMeta(db, KEY, JSON.stringify({ ...run, failedStatement: statement }));
}

/** The refusal every run gives while a marker is there, with the ways out that are open. */
export function interruptedError(store: string, file: string, run: InterruptedRun): CairnError {
  const copy = run.backup && fs.existsSync(run.backup) ? run.backup : null;
  const how = run.failedStatement ? `failed at statement ${run.failedStatement}` : 'was stopped before it finished (the process was killed or crashed)';
  const choices = [
    copy
      ? `cairn migrate --store ${store} --recover restore   puts back ${copy}, the copy taken just before it, then migrates`
      : `(no copy was taken before it${run.backup ? `: ${run.backup} is gone` : ': backups are off'}, so it cannot be put back)`,
    `cairn migrate --store ${store} --recover rerun     runs it again from its first statement; only if its statements can safely run twice`,
    `cairn migrate --store ${store} --recover resume    runs it from the first statement that did not run${run.completed !== undefined ? ` (statement ${run.completed + 1})` : ''}, once you have fixed that one`,
    ...(/\.(m|c)?(j|t)s$/.test(run.name)
      ? ['(code that is safe to repeat, as ctx.moveTable is, can declare export const rerunnable = true and is run again without asking)']
      : []),
  ];
  return new CairnError(
    'E_INTERRUPTED',
    `${store}: ${run.name} ${how}; it runs outside a transaction (NO TRANSACTION), so ${file} may hold part of it. Nothing else will run until you choose:\n  ${choices.join('\n  ')}`,
    { store, file, interrupted: run, backupAvailable: copy !== null },
  );
}
