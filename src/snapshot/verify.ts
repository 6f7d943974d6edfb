import path from 'node:path';
import { CairnError } from '../errors.js';
import { isPostgresStore, selectAnyStores, type ResolvedStore, type StoreRegistry } from '../config/stores.js';
import { runDoctor } from '../doctor/run.js';
import type { DoctorReport } from '../doctor/types.js';
import { readManifest } from './manifest.js';
import { databaseExists } from '../sqlite/files.js';

export interface VerifyOptions {
  /** Only these stores; default all, or the snapshot's store when one is given. */
  stores?: readonly string[];
  /** Check this file as the (single) store: a restored copy, a cutover's new file. */
  file?: string;
  /** A snapshot the database's rows must match. */
  snapshot?: string;
  /** integrity_check instead of quick_check. */
  full?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** What `cairn verify` checks: the doctor's checks a cutover or restore has to pass, plus the snapshot (on a server: reachable, schema, snapshot). */
export const VERIFY_CHECKS = ['file', 'server', 'integrity', 'foreign_keys', 'schema', 'snapshot'] as const;

/**
 * Is this database sound and at the app's schema, and (given a snapshot)
 * does it hold exactly the snapshot's rows? A focused doctor run, reported
 * in the doctor's shape; it never writes.
 */
export async function verifyStores(registry: StoreRegistry, options: VerifyOptions = {}): Promise<DoctorReport> {
  let stores = options.stores;
  if ((!stores || stores.length === 0) && options.snapshot !== undefined) stores = [readManifest(options.snapshot).store];
  if ((!stores || stores.length === 0) && options.file !== undefined && registry.stores.length === 1) stores = [registry.stores[0]?.name as string];
  const selected = selectAnyStores(registry, stores).filter((s): s is ResolvedStore => !isPostgresStore(s));
  // Verifying proves a file holds what it should: a file that is not there (a typo in --db) is never an empty one that passes.
  // (A PostgreSQL store's schema that is not there fails its schema check instead.)
  const files = options.file !== undefined ? [{ name: selected[0]?.name ?? '', file: path.resolve(options.file) }] : selected;
  for (const { name, file } of files) {
    if (!databaseExists(file)) {
      throw new CairnError('E_NO_DATABASE', `${name}: ${file} does not exist; there is nothing to verify (check the path, or migrate the store first)`, {
        store: name,
        file,
      });
    }
  }
  return runDoctor(registry, { stores, file: options.file, snapshot: options.snapshot, full: options.full, env: options.env, checks: VERIFY_CHECKS });
}
