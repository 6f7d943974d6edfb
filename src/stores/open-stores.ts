import { defineStores, isStoreRegistry, selectStores, unresolvedConfigOf, type ResolvedStore, type StoreRegistry } from '../config/stores.js';
import type { CairnConfig } from '../config/schema.js';
import { readFingerprint } from '../migrations/history.js';
import { sourceFingerprint } from '../migrations/fingerprint.js';
import { assertMigrated } from '../migrations/assert-migrated.js';
import type { MigrateResult, PlannedStep } from '../migrations/migrator.js';
import type { MoveProgress } from '../schema/move-table.js';
import type { Db } from '../sqlite/db.js';
import { openDatabase } from '../sqlite/open.js';

export interface OpenStoresOptions {
  /** Only these stores (default: every store in the registry). */
  stores?: string[];
  /** Apply pending migrations (default true). With false, stores open as they are. */
  migrate?: boolean;
  /**
   * Apply pending migrations even when the lint finds they will fail or lose
   * data (default false: such a file is refused with E_LINT before anything
   * is written).
   */
  force?: boolean;
  /** Called with each warning (an older app on a newer, additive-only DB). Default: console.warn. */
  onWarning?: (message: string) => void;
  /**
   * Called while pending migrations run, so an app can show "upgrading your
   * data…" with a count: first one `plan` event with every step about to run,
   * then `step` events as each starts and ends, and `move` events as a
   * moveTable() copies rows. Never called on a start with nothing pending.
   */
  onProgress?: (event: OpenStoresProgress) => void;
}

export type OpenStoresProgress =
  | { kind: 'plan'; stores: string[]; total: number }
  | { kind: 'step'; store: string; phase: 'start' | 'done'; step: PlannedStep; index: number; total: number }
  | { kind: 'move'; store: string; table: string; from: string; phase: MoveProgress['phase']; rows: number };

export interface OpenStores {
  /** The open connection of a store; throws for an unknown name. */
  db(name: string): Db;
  /** Every open connection by store name. */
  readonly dbs: Readonly<Record<string, Db>>;
  /** Per store: what migrating did, or null when nothing was pending (the fast path). */
  readonly migrations: Readonly<Record<string, MigrateResult | null>>;
  close(): void;
}

/**
 * The one call an app makes at startup: opens every store with its pragmas,
 * applies what is pending under the store's cross-process lock, and hands back
 * the open databases. When nothing changed on disk since the last clean run it
 * costs one stat per migration file and one indexed read (see fingerprint.ts).
 * A refusal (edited migration, newer DB …) or a failed migration throws a
 * CairnError after closing what it opened.
 */
export async function openStores(config: StoreRegistry | CairnConfig, options: OpenStoresOptions = {}): Promise<OpenStores> {
  // Without a config file, relative paths resolve against the working directory (pass defineStores(config, { root }) to choose).
  const declared = isStoreRegistry(config) ? unresolvedConfigOf(config) : config;
  const registry = declared ? defineStores(declared, { root: process.cwd() }) : (config as StoreRegistry);
  const warn = options.onWarning ?? ((message: string) => console.warn(`cairn: ${message}`));
  const dbs: Record<string, Db> = {};
  const migrations: Record<string, MigrateResult | null> = {};
  const closeAll = (): void => {
    for (const db of Object.values(dbs)) db.close();
  };
  try {
    const pending: ResolvedStore[] = [];
    for (const store of selectStores(registry, options.stores)) {
      const db = openDatabase(store.file, { pragmas: store.pragmas });
      dbs[store.name] = db;
      migrations[store.name] = null;
      if (options.migrate !== false && !upToDate(db, store.migrations, store.baseline)) pending.push(store);
    }
    // The migration engine and lint load only when a store has work: the everyday start has none (see lazy.ts).
    const { migrateStore } = pending.length ? await import('../migrations/migrator.js') : ({} as never);
    const { assertLintClean, reportOf } = pending.length ? await import('../lint/report.js') : ({} as never);
    // All or nothing: every store with work is planned (and linted) before any is changed, so one store's refusal changes none.
    let total = 0;
    for (const store of pending) {
      const plan = await migrateStore(store, { dryRun: true, stores: registry.stores });
      if (!options.force) assertLintClean(reportOf(store.name, store.file, [], plan.lint));
      total += plan.planned.length;
    }
    const progress = options.onProgress;
    if (progress && pending.length) progress({ kind: 'plan', stores: pending.map((s) => s.name), total });
    let index = 0;
    for (const store of pending) {
      const result = await migrateStore(store, {
        db: dbs[store.name],
        force: options.force,
        stores: registry.stores,
        onStep: progress
          ? ({ phase, step }) => {
              if (phase === 'start') index++;
              progress({ kind: 'step', store: store.name, phase, step, index, total: Math.max(total, index) });
            }
          : undefined,
        onMove: progress ? (event) => progress({ kind: 'move', store: store.name, ...event }) : undefined,
      });
      assertMigrated(result);
      result.warnings.forEach(warn);
      migrations[store.name] = result;
    }
  } catch (error) {
    closeAll();
    throw error;
  }
  return {
    db(name: string): Db {
      const db = dbs[name];
      if (!db) throw new TypeError(`Unknown store "${name}"; open stores: ${Object.keys(dbs).join(', ')}`);
      return db;
    },
    dbs,
    migrations,
    close: closeAll,
  };
}

function upToDate(db: Db, dir: string | null, baseline: { file: string; version: number } | null): boolean {
  let stored: string | undefined;
  try {
    stored = readFingerprint(db);
  } catch {
    // No cairn_meta yet (a fresh DB), or any failure reading it: "not known to be up to date" only sends
    // the store down the full path, which reads everything again and reports what is wrong.
    return false;
  }
  return stored !== undefined && stored === sourceFingerprint(dir, baseline);
}
