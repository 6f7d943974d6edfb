import fs from 'node:fs';
import path from 'node:path';
import type { ResolvedStore } from '../config/stores.js';
import { CairnError } from '../errors.js';
import type { Env } from '../migrations/envsub.js';
import { storeStatus } from '../migrations/status.js';
import { CUTOVER_BACKUP_INFIX, listCutoverBackups } from '../sqlite/backup.js';
import type { Db } from '../sqlite/db.js';
import { databaseExists, fsyncPath, removeDatabaseFiles, sameFile } from '../sqlite/files.js';
import { openBetterSqlite3 } from '../sqlite/driver-better-sqlite3.js';
import { describeHolders, findHolders } from '../sqlite/holders.js';
import { isBusy, lockFileFor, WriteLock } from '../sqlite/lock.js';
import { integrityMessages, isSound } from '../sqlite/integrity.js';
import { openDatabase } from '../sqlite/open.js';
import { exportStore, timestamp, type ExportResult } from './export.js';
import { listCutoverLeftovers } from './leftovers.js';
import { syncDir } from './manifest.js';
import { restoreSnapshot, type RestoreResult } from './restore.js';
import { plural } from '../words.js';

export type CutoverPhase = 'export' | 'restore' | 'verify' | 'swap' | 'done';

export interface CutoverOptions {
  /** Replace leftovers of an earlier cutover with the same names (snapshot folder, new file). */
  force?: boolean;
  dropUnknownColumns?: boolean;
  dropUnknownTables?: boolean;
  /** Swap even when values read back differently (the new schema converted them); rows must still all be there. */
  acceptDifferences?: boolean;
  /** Export, restore and verify into a scratch file, then stop: the store is left as it is. */
  dryRun?: boolean;
  env?: Env;
  now?: Date;
  onPhase?: (phase: CutoverPhase, detail: string) => void;
  /** Rows written so far of the phase's total, as export and restore report them. */
  onProgress?: (progress: { phase: 'export' | 'restore'; table: string; rowsDone: number; rowsTotal: number }) => void;
}

export interface CutoverResult {
  store: string;
  file: string;
  dryRun: boolean;
  /** The snapshot folder (kept beside the database). */
  snapshot: string;
  /** Where the old file was kept; null on a dry run. */
  previous: string | null;
  export: ExportResult;
  restore: RestoreResult;
  /** Version the new file is at. */
  schemaVersion: number | null;
  quickCheck: string[];
  swapped: boolean;
  /** What to do now, one step per line. */
  next: string[];
  elapsedMs: number;
}

/**
 * Moves a store to a fresh file at the app's current schema, keeping every
 * row and proving it: export → new file (baseline/migrations) → restore →
 * verify → swap. The swap is one rename over the live path, so killed at any
 * moment the live path holds either the untouched original or the complete
 * new file. The original is kept as `<file>.pre-cutover-<time>`.
 */
export async function cutoverStore(store: ResolvedStore, options: CutoverOptions = {}): Promise<CutoverResult> {
  const started = performance.now();
  const file = store.file;
  if (!databaseExists(file)) {
    throw new CairnError('E_NO_DATABASE', `${store.name}: ${file} does not exist; there is nothing to cut over`, { store: store.name, file });
  }
  const stamp = timestamp(options.now ?? new Date());
  const snapshotDir = `${file}.cutover-${stamp}`;
  const newFile = `${file}.cutover-${stamp}.new`;
  const previous = `${file}${CUTOVER_BACKUP_INFIX}${stamp}`;
  const phase = (p: CutoverPhase, detail: string): void => options.onPhase?.(p, detail);

  const lock = WriteLock.acquire(file, { timeoutMs: 0 });
  let holder: Db | null = null;
  // Set once this run owns its work files, cleared where they must stay: a failed verify keeps them for a look, and the swap has begun.
  let removeOnFailure = false;
  try {
    removeLeftovers(file);
    for (const existing of [snapshotDir, newFile, previous]) {
      if (!fs.existsSync(existing)) continue;
      if (!options.force) {
        throw new CairnError('E_TARGET_EXISTS', `${existing} already exists; pass --force to replace it, or wait a moment and run again`, { path: existing });
      }
      fs.rmSync(existing, { recursive: true, force: true });
    }
    removeOnFailure = true;
    assertNoOtherConnections(store);
    holder = holdWriteLock(store);

    phase('export', snapshotDir);
    const exported = await exportStore(store, {
      out: snapshotDir,
      env: options.env,
      now: options.now,
      onProgress: options.onProgress && ((p) => options.onProgress?.({ phase: 'export', table: p.table, rowsDone: p.rowsDone, rowsTotal: p.rowsTotal })),
    });

    phase('restore', newFile);
    const restored = await restoreSnapshot(store, {
      from: snapshotDir,
      target: newFile,
      dropUnknownColumns: options.dropUnknownColumns,
      dropUnknownTables: options.dropUnknownTables,
      env: options.env,
      onProgress: (p) => options.onProgress?.({ phase: 'restore', table: p.table, rowsDone: p.rowsDone, rowsTotal: p.rowsTotal }),
    });

    phase('verify', newFile);
    const checked = checkNewFile(store, newFile);
    const verdict = verdictOf(restored, checked, options.acceptDifferences ?? false);
    if (verdict) {
      removeOnFailure = false;
      throw new CairnError(
        'E_MIGRATION_FAILED',
        `${store.name}: the new file did not verify, so ${file} was left as it was: ${verdict}. The new file is kept at ${newFile} for a look`,
        {
          store: store.name,
          newFile,
          snapshot: snapshotDir,
          verification: restored.verification,
        },
      );
    }

    const base = {
      store: store.name,
      file,
      dryRun: options.dryRun ?? false,
      snapshot: snapshotDir,
      export: exported,
      restore: restored,
      schemaVersion: checked.version,
      quickCheck: checked.quickCheck,
    };
    if (options.dryRun) {
      removeDatabaseFiles(newFile);
      fs.rmSync(snapshotDir, { recursive: true, force: true });
      phase('done', 'dry run: nothing swapped');
      return {
        ...base,
        previous: null,
        swapped: false,
        next: [
          `The cutover would succeed: ${plural(restored.rows, 'row')} restored and verified at version ${checked.version ?? 'none'}.`,
          `Run it for real: cairn cutover --store ${store.name} (stop the app first). The dry run kept nothing.`,
        ],
        elapsedMs: Math.round(performance.now() - started),
      };
    }

    phase('swap', previous);
    removeOnFailure = false;
    holder.exec('ROLLBACK');
    holder.close();
    holder = null;
    // A connection opened while we exported would keep writing to the old file after the rename: look again, last thing before it.
    assertNoOtherConnections(store);
    swapIn(store, newFile, previous);
    phase('done', file);
    return {
      ...base,
      previous,
      swapped: true,
      next: [
        `Start the app: ${file} is the new file, at version ${checked.version ?? 'none'}, with all ${plural(restored.rows, 'row')}.`,
        `The old file is kept at ${previous}; remove it once the app runs well on the new one.`,
        `The snapshot is at ${snapshotDir}: cairn verify --store ${store.name} --snapshot ${snapshotDir} proves the live file still matches it.`,
      ],
      elapsedMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    // A failure (a full disk, a refusal) must not leave a snapshot's worth of files for the retry to trip over.
    if (removeOnFailure) {
      removeDatabaseFiles(newFile);
      fs.rmSync(snapshotDir, { recursive: true, force: true });
    }
    throw error;
  } finally {
    if (holder) {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
    }
    lock.release();
  }
}

/**
 * Keeps other writers out of the old file from export to swap: a
 * checkpoint first (the old file must carry its whole content, not leave
 * part of it in a WAL that would sit beside the new file), then a write
 * transaction held open. Readers still read.
 */
export function holdWriteLock(store: ResolvedStore): Db {
  // Opened bare: the store's pragmas would switch the journal mode, and the original must stay as it is.
  const db = openBetterSqlite3(store.file, { fileMustExist: true });
  try {
    db.exec('PRAGMA busy_timeout = 0');
    if (String(db.pragmaValue('journal_mode')) === 'wal') {
      const row = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get<{ busy: number; log: number; checkpointed: number }>();
      // A reader or writer of the WAL keeps the checkpoint from finishing.
      if (row && row.busy !== 0) throw storeInUse(store);
    }
    db.exec('BEGIN IMMEDIATE');
    return db;
  } catch (error) {
    db.close();
    throw isBusy(error) ? storeInUse(store, error) : error;
  }
}

/**
 * Refuses while any other connection has the store open, even an idle one:
 * after the swap it would go on reading and writing the replaced file (or
 * its unlinked WAL), and the app's next write would be lost.
 */
export function assertNoOtherConnections(store: ResolvedStore): void {
  const { holders, lockedByOther } = findHolders(store.file);
  if (holders.length === 0 && !lockedByOther) return;
  const who = holders.length > 0 ? `it is open in ${describeHolders(holders)}` : 'another connection has it open';
  throw new CairnError(
    'E_LOCKED',
    `${store.name}: ${store.file} is in use: ${who}. A connection left open across the swap would keep writing to the replaced file; stop the app (or close its stores) and run the cutover again. Nothing was changed`,
    { store: store.name, file: store.file, holders },
  );
}

function storeInUse(store: ResolvedStore, cause?: unknown): CairnError {
  return new CairnError(
    'E_LOCKED',
    `${store.name}: another process is writing to ${store.file} or reading it in a long transaction (is the app running?); stop it and run the cutover again. Nothing was changed`,
    { store: store.name, file: store.file },
    { cause },
  );
}

function checkNewFile(store: ResolvedStore, newFile: string): { version: number | null; pending: number; quickCheck: string[] } {
  const status = storeStatus({ ...store, file: newFile });
  const db = openDatabase(newFile, { readonly: true });
  try {
    const quickCheck = integrityMessages(db, 20);
    return { version: status.current, pending: status.pending.length + (status.error ? 1 : 0), quickCheck };
  } finally {
    db.close();
  }
}

/** Why the new file must not replace the old one, or null when it may. */
function verdictOf(restored: RestoreResult, checked: ReturnType<typeof checkNewFile>, acceptDifferences: boolean): string | null {
  if (!isSound(checked.quickCheck)) return `quick_check reports ${checked.quickCheck.join('; ')}`;
  if (checked.pending > 0) return 'the new file is not at the app’s current schema';
  const bad = restored.verification.tables.filter((t) => !t.equal);
  // A table missing from the new file has rows: null, so it counts here too.
  const missingRows = bad.filter((t) => t.rows !== t.expectedRows);
  if (missingRows.length > 0) {
    return `row counts differ: ${missingRows.map((t) => `${t.table} has ${t.rows === null ? 'no rows' : plural(t.rows, 'row')}, the snapshot ${t.expectedRows}`).join('; ')}`;
  }
  if (bad.length > 0 && !acceptDifferences) {
    const first = bad[0];
    const example = first?.firstDifference
      ? ` (line ${first.firstDifference.line}: snapshot ${first.firstDifference.expected} → new ${first.firstDifference.actual})`
      : '';
    return `every row is there, but values in ${bad.map((t) => t.table).join(', ')} read back differently under the new schema${example}; pass --accept-differences if that conversion is intended`;
  }
  return null;
}

/**
 * The swap. The old file first gets a second name (a hard link, or a copy
 * where links are not supported), then one rename puts the new file over
 * the live path: at every moment the live path is a whole database. The new
 * file was fsynced when its connection closed its WAL; the folder is synced
 * after the rename.
 */
function swapIn(store: ResolvedStore, newFile: string, previous: string): void {
  const file = store.file;
  for (const [db, side] of [
    [file, '-wal'],
    [file, '-journal'],
    [newFile, '-wal'],
  ] as const) {
    const sidecar = `${db}${side}`;
    if (fs.existsSync(sidecar) && fs.statSync(sidecar).size > 0) {
      throw new CairnError(
        'E_LOCKED',
        `${store.name}: ${sidecar} is not empty: another process opened the database during the cutover; stop it and run again. Nothing was swapped`,
        {
          store: store.name,
          file,
        },
      );
    }
  }
  // Empty WALs and shared-memory indexes of closed files: none may sit beside the live path once the new file is there.
  for (const db of [file, newFile]) for (const side of ['-wal', '-shm', '-journal']) fs.rmSync(`${db}${side}`, { force: true });
  fsyncPath(newFile);
  try {
    fs.linkSync(file, previous);
  } catch {
    fs.copyFileSync(file, previous, fs.constants.COPYFILE_EXCL);
    fsyncPath(previous);
  }
  fs.renameSync(newFile, file);
  syncDir(path.dirname(file));
  fs.rmSync(lockFileFor(newFile), { force: true });
}

/**
 * What killed or failed cutovers left behind, removed before a new one
 * starts (see leftovers.ts): half-built new files, snapshot folders of runs
 * that never swapped, and a `pre-cutover` name that still points at the live
 * file because the swap never happened.
 */
function removeLeftovers(file: string): void {
  for (const kept of listCutoverBackups(file)) if (sameFile(kept, file)) fs.rmSync(kept);
  for (const leftover of listCutoverLeftovers(file)) fs.rmSync(leftover.path, { recursive: true, force: true });
}
