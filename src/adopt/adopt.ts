import { isPostgresStore, type PostgresStore, type ResolvedStore } from '../config/stores.js';
import { CairnError } from '../errors.js';
import type { Env } from '../migrations/envsub.js';
import { ensureHistory, readHistory, recordApplied } from '../migrations/history.js';
import { readStoreSource } from '../migrations/migrator.js';
import type { Db } from '../sqlite/db.js';
import { WriteLock } from '../sqlite/lock.js';
import { openDatabase } from '../sqlite/open.js';
import { appliedText, planAdoption, type AdoptResult } from './plan-adoption.js';
import { readForeignHistory, sqliteTables, type AdoptSource } from './read-history.js';
import { databaseExists } from '../sqlite/files.js';

export interface AdoptOptions {
  from: AdoptSource;
  /** Report what would be written; write nothing. */
  dryRun?: boolean;
  env?: Env;
  now?: () => Date;
}

export type { AdoptMismatch, AdoptResult } from './plan-adoption.js';

/**
 * Takes over a DB another tool migrated: reads that tool's history, maps
 * each applied version onto the store's file of the same number (comparing
 * the tool's checksum with the file's bytes where the tool kept one), and
 * writes the cairn history in one transaction. The other tool's table is
 * left as it is. Any mismatch (an applied version without a file, a file
 * whose text differs from what ran, a gap, a failed run) is listed in the
 * refusal and nothing is written. Re-running on an adopted DB writes
 * nothing. A PostgreSQL store is adopted by adoptPostgres, with the same rules.
 */
export async function adoptStore(store: ResolvedStore | PostgresStore, options: AdoptOptions): Promise<AdoptResult> {
  if (isPostgresStore(store)) return (await import('../postgres/adopt.js')).adoptPostgres(store, options);
  if (!databaseExists(store.file)) {
    throw new CairnError('E_NO_DATABASE', `${store.name}: ${store.file} does not exist; there is nothing to adopt`, { store: store.name, file: store.file });
  }
  const work = async (db: Db): Promise<AdoptResult> => {
    const { migrations } = readStoreSource(store, options.env);
    const foreign = await readForeignHistory(sqliteTables(db), options.from);
    const where = { store: store.name, file: store.file, dryRun: Boolean(options.dryRun) };
    const { result, rows } = planAdoption(where, foreign, migrations, readHistory(db));
    if (!options.dryRun && rows.length > 0) {
      const now = (options.now ?? (() => new Date()))().toISOString();
      db.withTransaction(() => {
        ensureHistory(db);
        for (const { migration, appliedAt, durationMs, checked } of rows) {
          recordApplied(
            db,
            {
              version: migration.version,
              name: migration.name,
              checksum: migration.checksum,
              appliedAt: appliedAt ?? now,
              durationMs: durationMs ?? 0,
              additive: migration.additive,
              kind: 'migration',
            },
            appliedText(migration, checked),
          );
        }
      });
    }
    return result;
  };
  if (options.dryRun) {
    const db = openDatabase(store.file, { readonly: true });
    try {
      return await work(db);
    } finally {
      db.close();
    }
  }
  return WriteLock.with(store.file, { timeoutMs: store.lockTimeoutMs }, async () => {
    const db = openDatabase(store.file, { pragmas: store.pragmas });
    try {
      return await work(db);
    } finally {
      db.close();
    }
  });
}
