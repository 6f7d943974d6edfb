import {
  declaresRetention,
  defineStores,
  isPostgresStore,
  isStoreRegistry,
  selectAnyStores,
  unresolvedConfigOf,
  type PostgresStore,
  type ResolvedStore,
  type StoreRegistry,
} from '../config/stores.js';
import type { PgPool } from '../postgres/pool.js';
import type { CairnConfig } from '../config/schema.js';
import { isUpToDate } from '../migrations/fingerprint.js';
import { assertMigrated } from '../migrations/assert-migrated.js';
import type { MigrateResult, PlannedStep } from '../migrations/migrator.js';
import type { MoveProgress } from '../schema/move-table.js';
import type { Db } from '../sqlite/db.js';
import type { BackgroundPrune, BackgroundPruneOptions } from '../retention/background.js';
import { flushFallbacks } from '../backfill/fallbacks.js';
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
  /**
   * Stores that declare `retention` are pruned in the background: a first
   * pass once startup has returned, then one an hour, each with a time budget
   * (default 500 ms), on a connection of its own and in short batches, so the
   * app's own writes wait milliseconds at most. `false` leaves pruning to
   * `cairn prune` / `pruneStore()`.
   */
  prune?: false | BackgroundPruneOptions;
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
  /** The connection pool of a PostgreSQL store (its schema first on the search_path); throws for an unknown name. */
  pool(name: string): PgPool;
  /** Every PostgreSQL store's pool by store name. */
  readonly pools: Readonly<Record<string, PgPool>>;
  /** Per store: what migrating did, or null when nothing was pending (the fast path). */
  readonly migrations: Readonly<Record<string, MigrateResult | null>>;
  /** Closes every SQLite connection at once, and resolves when every pool has ended. */
  close(): Promise<void>;
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
  const pools: Record<string, PgPool> = {};
  const migrations: Record<string, MigrateResult | null> = {};
  let pruning: BackgroundPrune | null = null;
  const closeAll = async (): Promise<void> => {
    await pruning?.stop();
    // Reads that fell back to files since the last write of their counts (readThrough) go out before the connection closes.
    for (const db of Object.values(dbs)) flushFallbacks(db);
    for (const db of Object.values(dbs)) db.close();
    await Promise.all(Object.values(pools).map((pool) => pool.end()));
  };
  const selected = selectAnyStores(registry, options.stores);
  const servers = selected.filter(isPostgresStore);
  try {
    const pending: ResolvedStore[] = [];
    for (const store of selected.filter((s): s is ResolvedStore => !isPostgresStore(s))) {
      const db = openDatabase(store.file, { pragmas: store.pragmas });
      dbs[store.name] = db;
      migrations[store.name] = null;
      if (options.migrate !== false && !isUpToDate(db, store.migrations, store.baseline)) pending.push(store);
    }
    const server = await migrateAll({ registry, pending, servers, dbs, migrations, options, warn });
    for (const store of servers) {
      migrations[store.name] ??= null;
      pools[store.name] = await server!.openPool(store);
    }
    const retained = selected.filter((s): s is ResolvedStore => !isPostgresStore(s) && declaresRetention(s));
    // The pruning code loads only for an app that declares retention.
    if (retained.length > 0 && options.prune !== false) {
      pruning = (await import('../retention/background.js')).startBackgroundPrune(retained, warn, options.prune ?? {});
    }
  } catch (error) {
    await closeAll().catch(() => {});
    throw error;
  }
  return {
    db(name: string): Db {
      const db = dbs[name];
      if (!db) throw new TypeError(`Unknown store "${name}"; open stores: ${Object.keys(dbs).join(', ')}`);
      return db;
    },
    dbs,
    pool(name: string): PgPool {
      const pool = pools[name];
      if (!pool) throw new TypeError(`Unknown PostgreSQL store "${name}"; open PostgreSQL stores: ${Object.keys(pools).join(', ') || 'none'}`);
      return pool;
    },
    pools,
    migrations,
    close: closeAll,
  };
}

/**
 * Plans every store with work, both engines, before changing any (a refusal
 * anywhere changes nothing anywhere), then applies them in order, reporting
 * progress. Returns the PostgreSQL half's module when one is declared.
 */
async function migrateAll(run: {
  registry: StoreRegistry;
  pending: ResolvedStore[];
  servers: PostgresStore[];
  dbs: Record<string, Db>;
  migrations: Record<string, MigrateResult | null>;
  options: OpenStoresOptions;
  warn: (message: string) => void;
}): Promise<typeof import('../postgres/open.js') | null> {
  const { registry, pending, servers, dbs, migrations, options, warn } = run;
  // The migration engine and lint load only when a store has work: the everyday start has none (see lazy.ts).
  const { migrateStore } = pending.length ? await import('../migrations/migrator.js') : ({} as never);
  const { assertLintClean, reportOf } = pending.length ? await import('../lint/report.js') : ({} as never);
  // All or nothing: every store with work is planned (and linted) before any is changed, so one store's refusal changes none.
  let total = 0;
  for (const store of pending) {
    const plan = await migrateStore(store, { dryRun: true, stores: selectAnyStores(registry) });
    if (!options.force) assertLintClean(reportOf(store.name, store.file, [], plan.lint));
    total += plan.planned.length;
  }
  // PostgreSQL stores: the engine and the pg client load only when one is declared.
  const server = servers.length ? await import('../postgres/open.js') : null;
  const serverPending = server && options.migrate !== false ? await server.planServers(servers, { env: process.env, force: options.force }) : [];
  total += serverPending.reduce((sum, p) => sum + p.steps, 0);
  const progress = options.onProgress;
  const working = [...pending.map((s) => s.name), ...serverPending.map((p) => p.store.name)];
  if (progress && working.length) progress({ kind: 'plan', stores: working, total });
  let index = 0;
  const onStep = (store: string) =>
    progress
      ? ({ phase, step }: { phase: 'start' | 'done'; step: PlannedStep }) => {
          if (phase === 'start') index++;
          progress({ kind: 'step', store, phase, step, index, total: Math.max(total, index) });
        }
      : undefined;
  for (const store of pending) {
    const result = await migrateStore(store, {
      db: dbs[store.name],
      force: options.force,
      stores: selectAnyStores(registry),
      onStep: onStep(store.name),
      onMove: progress ? (event) => progress({ kind: 'move', store: store.name, ...event }) : undefined,
    });
    assertMigrated(result);
    result.warnings.forEach(warn);
    migrations[store.name] = result;
  }
  for (const { store } of serverPending) {
    const result = await server!.migrateServer(store, { env: process.env, force: options.force, onStep: onStep(store.name) });
    assertMigrated(result);
    result.warnings.forEach(warn);
    migrations[store.name] = result;
  }
  return server;
}
