import path from 'node:path';
import type { ResolvedStore } from '../config/stores.js';
import type { Db } from '../sqlite/db.js';
import { databaseExists } from '../sqlite/files.js';
import { openDatabase } from '../sqlite/open.js';
import { isUpToDate } from './fingerprint.js';
import { readHistory } from './history.js';
import { readInterrupted } from './interrupted.js';
import { listMigrationFiles } from './list-files.js';
import type { MigrationIdentity, StateInput } from './plan.js';
import { emptyStatus, statusFrom, type StoreStatus } from './status-report.js';

/**
 * A store's status read without opening a single migration file, when the
 * DB's fingerprint certifies that neither the files nor the history changed
 * since the last clean full migrate (the same proof that lets openStores skip
 * its checks, see fingerprint.ts). That run read, parsed and hashed every
 * file against the history and refused nothing, so each listed file is the
 * one its history row was applied from; the state rules then run on names
 * and the recorded checksums, exactly as they run on the full read.
 *
 * null whenever that cannot be certified (no fingerprint, a changed file, an
 * interrupted run, anything that would make migrate act or refuse): the
 * caller then reads everything (storeStatus), which is never wrong, only
 * slower.
 */
export function certifiedStatus(store: ResolvedStore): StoreStatus | null {
  if (!databaseExists(store.file)) return null;
  let db: Db | undefined;
  try {
    db = openDatabase(store.file, { readonly: true });
    if (!isUpToDate(db, store.migrations, store.baseline) || readInterrupted(db)) return null;
    const input = certifiedInput(store, db);
    if (!input) return null;
    const status = { ...emptyStatus(store.name, store.file, true), ...statusFrom(input, null, null) };
    // Only a state migrate would pass over untouched is certified; anything else takes the full path and its refusal.
    const quiet =
      status.pending.length === 0 &&
      status.edited.length === 0 &&
      status.renamed.length === 0 &&
      !status.legacyChain &&
      status.unknown.every((u) => u.additive);
    return quiet ? status : null;
  } catch {
    // Not certified is never an answer of its own: the full read reports whatever went wrong here.
    return null;
  } finally {
    db?.close();
  }
}

function certifiedInput(store: ResolvedStore, db: Db): StateInput<MigrationIdentity> | null {
  const applied = readHistory(db);
  if (applied.length === 0) return null;
  const byVersion = new Map(applied.map((a) => [a.version, a]));
  const coveredUpTo = applied.find((a) => a.kind === 'baseline')?.version ?? null;
  const exclude = store.baseline ? [store.baseline.file] : [];
  const files = store.migrations ? listMigrationFiles(store.migrations, { exclude, key: `stores.${store.name}.migrations` }) : [];
  const migrations: MigrationIdentity[] = [];
  for (const file of files) {
    const row = byVersion.get(file.version);
    if (row?.kind === 'migration') migrations.push({ ...file, checksum: row.checksum, legacyChecksum: null });
    // A file the baseline stands for is never compared with anything; any other unapplied file would be pending.
    else if (coveredUpTo !== null && file.version <= coveredUpTo) migrations.push({ ...file, checksum: '', legacyChecksum: null });
    else return null;
  }
  const baseline = store.baseline ? { version: store.baseline.version, name: path.basename(store.baseline.file) } : undefined;
  return { migrations, applied, baseline, fresh: false, managed: true, foreignHistory: null };
}
