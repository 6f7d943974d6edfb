import type { ResolvedStore, StoreRegistry } from '../config/stores.js';
import { isPostgresStore, selectAnyStores, type PostgresStore } from '../config/stores.js';
import { CairnError, isCairnError } from '../errors.js';
import { openDatabase } from '../sqlite/open.js';
import { buildTailQuery, lastRows, maxId, rowsAfter, type TailFilters, type TailQuery, type TailRow } from './query.js';
import { databaseExists } from '../sqlite/files.js';

export interface TailOptions extends TailFilters {
  table: string;
  /** The store holding the table (default: the one store whose database has it). */
  store?: string;
  /** How many matching rows to show first (default 200). */
  lines?: number;
  /** Keep polling for newer rows until `signal` aborts. */
  follow?: boolean;
  /** Poll interval with `follow` (default 500 ms). */
  pollMs?: number;
  /** An ever-increasing column to order and follow by (default: the rowid). */
  idColumn?: string;
  signal?: AbortSignal;
  /** Where a PostgreSQL store's URL takes its `${NAME}` parts (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Receives the first rows, then each poll's new ones, oldest first. */
  /** Called with each group of rows, the query that found them, and the store holding the table. */
  onRows: (rows: TailRow[], query: TailQuery, store: string) => void;
}

export { DEFAULT_TAIL_LINES, DEFAULT_POLL_MS } from './defaults.js';
import { DEFAULT_TAIL_LINES } from './defaults.js';
import { followRows } from './follow.js';

/**
 * Prints a table's last rows and, with `follow`, every newer one as it lands,
 * the way `tail -f` does a log file. Read-only: each poll is one short read
 * transaction and nothing is held between polls, so writers never wait on it
 * in WAL mode (in rollback-journal mode a commit may wait the length of one read).
 * "Newer" means a higher id: rows written with explicit lower ids are not seen.
 */
export async function tailTable(registry: StoreRegistry, options: TailOptions): Promise<{ store: string; rows: number }> {
  const found = await storeWithTable(registry, options.table, options.store, options.env);
  if (isPostgresStore(found)) return (await import('../postgres/tail.js')).tailPostgres(found, options);
  const store = found;
  const db = openDatabase(store.file, { readonly: true, pragmas: store.pragmas });
  let shown = 0;
  try {
    const query = buildTailQuery(db, options.table, options, { idColumn: options.idColumn });
    const first = lastRows(db, query, options.lines ?? DEFAULT_TAIL_LINES);
    shown += first.length;
    if (first.length) options.onRows(first, query, store.name);
    if (!options.follow) return { store: store.name, rows: shown };
    shown += await followRows({
      after: first.at(-1)?.id ?? maxId(db, query),
      fetch: (after, limit) => rowsAfter(db, query, after as TailRow['id'], limit),
      onRows: (rows) => options.onRows(rows, query, store.name),
      pollMs: options.pollMs,
      signal: options.signal,
    });
    return { store: store.name, rows: shown };
  } finally {
    db.close();
  }
}

/** The named store, or the only one (SQLite file or PostgreSQL schema) that has `table`. */
export async function storeWithTable(registry: StoreRegistry, table: string, name?: string, env?: NodeJS.ProcessEnv): Promise<ResolvedStore | PostgresStore> {
  if (name) {
    const [store] = selectAnyStores(registry, [name]) as [ResolvedStore | PostgresStore];
    if (isPostgresStore(store)) return store;
    if (!databaseExists(store.file)) {
      throw new CairnError(
        'E_NO_DATABASE',
        `store ${store.name} has no database yet (${store.file}); start the app or run \`cairn migrate --store ${store.name}\``,
        {
          store: store.name,
          file: store.file,
        },
      );
    }
    return store;
  }
  const holders: (ResolvedStore | PostgresStore)[] = registry.stores.filter((s) => databaseExists(s.file) && hasTable(s, table));
  const servers = registry.postgres ?? [];
  if (servers.length > 0) {
    // A server that cannot be reached is an error, not "no table there": the table may well be on it.
    const { postgresHasTable } = await import('../postgres/tail.js');
    for (const server of servers) {
      const has = await postgresHasTable(server, table, env).catch((error: unknown) => {
        if (!isCairnError(error)) throw error;
        throw new CairnError(
          error.code,
          `${error.message}; while looking for the store with table ${JSON.stringify(table)}: name it with --store`,
          error.details,
        );
      });
      if (has) holders.push(server);
    }
  }
  if (holders.length === 1) return holders[0]!;
  if (holders.length === 0) {
    const all = [...registry.stores, ...servers].map((s) => s.name);
    throw new CairnError('E_USAGE', `no store has a table ${JSON.stringify(table)} (stores: ${all.join(', ')}); name it with --store`, { table });
  }
  throw new CairnError('E_USAGE', `${holders.map((s) => s.name).join(' and ')} both have a table ${JSON.stringify(table)}; choose one with --store`, { table });
}

function hasTable(store: ResolvedStore, table: string): boolean {
  const db = openDatabase(store.file, { readonly: true });
  try {
    return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
  } finally {
    db.close();
  }
}
