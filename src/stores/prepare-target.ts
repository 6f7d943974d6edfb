import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ResolvedStore } from '../config/stores.js';
import { CairnError } from '../errors.js';
import type { Env } from '../migrations/envsub.js';
import { assertMigrated, migrateStore, type MigrateResult } from '../migrations/migrator.js';
import { newerThanAppWarning, storeStatus } from '../migrations/status.js';
import type { Db } from '../sqlite/db.js';
import { isBusy, WriteLock } from '../sqlite/lock.js';
import { openDatabase } from '../sqlite/open.js';
import { readHistory, userTableCount } from '../migrations/history.js';
import { quoteLiteral } from '../sqlite/quote.js';
import { databaseExists, removeDatabaseFiles } from '../sqlite/files.js';
import { syncDir } from '../snapshot/manifest.js';
import { plural } from '../words.js';

export interface PrepareTargetOptions {
  /** Work on a scratch copy in the temp folder: the store's own files are only read. */
  dryRun?: boolean;
  /** Apply pending migrations first instead of refusing. A store with no DB yet is always created through its migrations. */
  migrate?: boolean;
  env?: Env;
  /** What the caller does, for messages: "importing into", "restoring into". */
  verb?: string;
}

/** A store ready for a bulk write: at the app's schema, locked against other cairn writers. */
export interface PreparedTarget {
  db: Db;
  /** The file written: the store's, or the scratch copy on a dry run. */
  file: string;
  /** Migrations applied to get here (on the scratch copy, for a dry run). */
  migrated: MigrateResult | null;
  /** The DB did not exist before. */
  created: boolean;
  warnings: string[];
  /** Closes the DB, frees the lock, removes a scratch copy. */
  close(): void;
}

/**
 * The preconditions every offline bulk write shares (import, restore), each a
 * refusal before anything is written: the schema must be the app's (older →
 * refuse unless `migrate`; newer → refuse), no other process may be writing
 * (refused at once, never waited for), and an absent DB is created through
 * the migrations, never left behind empty when a check fails.
 */
export async function prepareTarget(store: ResolvedStore, options: PrepareTargetOptions = {}): Promise<PreparedTarget> {
  // A file cairn created and never migrated (a first run killed as it started) is a fresh store, as if it were not there.
  const exists = databaseExists(store.file) && !isFresh(store.file);
  // Planning refusals (edited or missing files, legacy chain, unmanaged DB) surface here, before any write.
  const plan = await migrateStore(store, { dryRun: true, env: options.env });
  const status = storeStatus(store, { env: options.env });
  const newer = newerThanAppWarning(status, store.file, options.verb ?? 'writing into');
  if (exists && plan.planned.length > 0 && !options.migrate) {
    throw new CairnError(
      'E_SCHEMA_BEHIND',
      `${store.name}: ${store.file} is at version ${plan.from ?? 0} and the app's migrations reach ${plan.to}; pass --migrate to apply ${plural(plan.planned.length, 'pending migration')} first, or run cairn migrate`,
      { store: store.name, file: store.file, current: plan.from, target: plan.to, pending: plan.planned.map((p) => p.version) },
    );
  }
  const target = options.dryRun
    ? await scratchCopy(store, exists, plan.planned.length > 0, options.env)
    : await lockedTarget(store, exists, plan.planned.length > 0, options.env);
  if (newer) target.warnings.push(newer);
  return target;
}

/** No migration applied and no table of the app's: what a first run killed before its first migration committed leaves. */
function isFresh(file: string): boolean {
  const db = openDatabase(file, { readonly: true });
  try {
    return readHistory(db).length === 0 && userTableCount(db) === 0;
  } finally {
    db.close();
  }
}

async function lockedTarget(store: ResolvedStore, exists: boolean, needsMigration: boolean, env: Env | undefined): Promise<PreparedTarget> {
  const lock = WriteLock.acquire(store.file, { timeoutMs: 0 });
  let db: Db | null = null;
  try {
    if (databaseExists(store.file)) assertNoWriter(store);
    let migrated: MigrateResult | null = null;
    if (!exists) {
      migrated = await createMigrated(store, env);
      db = openDatabase(store.file, { pragmas: store.pragmas });
    } else {
      db = openDatabase(store.file, { pragmas: store.pragmas });
      if (needsMigration) {
        migrated = await migrateStore(store, { env, db, lockHeld: true });
        assertMigrated(migrated);
      }
    }
    const opened = db;
    return {
      db: opened,
      file: store.file,
      migrated,
      created: !exists,
      warnings: [],
      close: () => {
        opened.close();
        lock.release();
      },
    };
  } catch (error) {
    db?.close();
    lock.release();
    throw error;
  }
}

/**
 * A store's DB made for an import or a restore, whole or not at all: it is
 * migrated under a name of its own beside the store's file and renamed into
 * place once every migration is in, so a process killed halfway leaves no
 * half-migrated DB that the next run would have to refuse as behind the app
 * (a leftover of such a kill is replaced). Called under the store's lock.
 */
async function createMigrated(store: ResolvedStore, env: Env | undefined): Promise<MigrateResult> {
  const making = `${store.file}.cairn-creating`;
  removeDatabaseFiles(making);
  const db = openDatabase(making, { pragmas: store.pragmas });
  let migrated: MigrateResult;
  try {
    migrated = await migrateStore({ ...store, file: making }, { env, db, lockHeld: true });
    assertMigrated(migrated);
  } catch (error) {
    db.close();
    removeDatabaseFiles(making);
    throw error;
  }
  db.close(); // checkpoints the WAL into the file: the one file is the whole DB
  // An empty file cairn left (a run killed before its first migration) is replaced; no journal of it may outlive it.
  for (const suffix of ['-wal', '-shm', '-journal']) fs.rmSync(`${store.file}${suffix}`, { force: true });
  fs.renameSync(making, store.file);
  syncDir(path.dirname(store.file));
  return { ...migrated, file: store.file };
}

/** Refuses at once when another connection holds the DB's write lock (the app is running). */
function assertNoWriter(store: ResolvedStore): void {
  const probe = openDatabase(store.file, { readonly: false, pragmas: { ...store.pragmas, busy_timeout: 0 } });
  try {
    probe.exec('BEGIN IMMEDIATE');
    probe.exec('ROLLBACK');
  } catch (error) {
    if (!isBusy(error)) throw error;
    throw new CairnError(
      'E_LOCKED',
      `${store.name}: another process is writing to ${store.file} right now (is the app running?); stop it and run again. Nothing was written`,
      { store: store.name, file: store.file },
      { cause: error },
    );
  } finally {
    probe.close();
  }
}

async function scratchCopy(store: ResolvedStore, exists: boolean, needsMigration: boolean, env: Env | undefined): Promise<PreparedTarget> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-dry-run-'));
  const file = path.join(dir, path.basename(store.file));
  const warnings: string[] = [];
  // No probe for a running writer here: probing needs a read-write open, and a dry run only ever reads the store.
  try {
    if (exists) {
      const source = openDatabase(store.file, { readonly: true });
      try {
        source.exec(`VACUUM INTO ${quoteLiteral(file)}`);
      } finally {
        source.close();
      }
    }
    const scratch: ResolvedStore = { ...store, file, backupKeep: 0 };
    const db = openDatabase(file, { pragmas: store.pragmas });
    let migrated: MigrateResult | null = null;
    if (needsMigration || !exists) {
      migrated = await migrateStore(scratch, { env, db });
      assertMigrated(migrated);
    }
    return {
      db,
      file,
      migrated,
      created: !exists,
      warnings,
      close: () => {
        db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
