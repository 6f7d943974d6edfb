import type { ResolvedStore, RetentionPolicy } from '../config/stores.js';
import { CairnError } from '../errors.js';
import type { Db } from '../sqlite/db.js';
import { databaseExists } from '../sqlite/files.js';
import { openDatabase } from '../sqlite/open.js';
import { quoteIdent } from '../sqlite/quote.js';
import { readTableInfo } from '../sqlite/schema-info.js';
import { unixSecondsOf } from '../tail/time.js';

export interface PruneOptions {
  /** Count what would go; delete nothing. */
  dryRun?: boolean;
  /** Rows per delete transaction (default 2000): each batch holds the write lock for a few milliseconds only. */
  batchRows?: number;
  /** Only these tables of the store's retention (default: all it declares). */
  tables?: readonly string[];
  /** The moment ages are measured from (default: now). */
  now?: Date;
  /** Stop after this much time (ms), between two batches: what is left waits for the next prune (`complete: false`). */
  budgetMs?: number;
  /** Stops between two batches, like an exhausted budget. */
  signal?: AbortSignal;
}

export interface PrunedTable {
  table: string;
  /** Rows deleted (or, on a dry run, that would be) for being older than maxAge, and beyond maxRows. */
  byAge: number;
  byCount: number;
  /** Rows the table holds afterwards (on a dry run: would hold). */
  rowsLeft: number;
  batches: number;
  /** The table got to its policy; false when the budget ran out or the signal stopped the prune first. */
  complete: boolean;
}

export interface PruneResult {
  store: string;
  file: string;
  dryRun: boolean;
  tables: PrunedTable[];
  /** Pages given back to the file system (incremental vacuum), or null when the store does not use it (see note). */
  pagesFreed: number | null;
  note: string | null;
  /** Every table got to its policy; false when the budget ran out or the signal stopped it first. */
  complete: boolean;
  elapsedMs: number;
}

/**
 * Applies a store's declared retention: per table, rows whose time column is
 * older than `maxAge`, then the oldest rows beyond `maxRows`, deleted in
 * small batches by rowid, each its own short write transaction, so an app
 * writing to the same table at the same time waits a few milliseconds at
 * most between batches (its busy_timeout covers it) and never meets
 * SQLITE_BUSY. A time column whose values are neither ISO 8601 text nor
 * Unix seconds/milliseconds is a config error here, naming a value, before
 * anything is deleted.
 */
export async function pruneStore(store: ResolvedStore, options: PruneOptions = {}): Promise<PruneResult> {
  const started = performance.now();
  const policies = Object.entries(store.retention ?? {}).filter(([table]) => !options.tables || options.tables.includes(table));
  if (options.tables) {
    for (const table of options.tables) {
      if (!store.retention?.[table]) throw new CairnError('E_USAGE', `${store.name} declares no retention for ${table}`, { store: store.name, table });
    }
  }
  const result: PruneResult = {
    store: store.name,
    file: store.file,
    dryRun: Boolean(options.dryRun),
    tables: [],
    pagesFreed: null,
    note: null,
    complete: true,
    elapsedMs: 0,
  };
  if (policies.length === 0 || !databaseExists(store.file)) {
    result.note = policies.length === 0 ? `${store.name} declares no retention` : `${store.file} does not exist yet: nothing to prune`;
    return result;
  }
  const db = options.dryRun ? openDatabase(store.file, { readonly: true }) : openDatabase(store.file, { pragmas: store.pragmas });
  try {
    const cutoff = (options.now ?? new Date()).getTime() / 1000;
    // Every policy is checked before any row goes: a mistake in one table's declaration deletes nothing anywhere.
    for (const [table, policy] of policies) assertReadable(db, store.name, table, policy);
    const deadline = options.budgetMs === undefined ? Infinity : started + options.budgetMs;
    const stopped = (): boolean => Boolean(options.signal?.aborted) || performance.now() >= deadline;
    for (const [table, policy] of policies) {
      // A pass always gets one batch done, however long the checks took: a small budget still makes progress.
      if (result.tables.length > 0 && stopped()) break;
      result.tables.push(await pruneTable(db, table, policy, cutoff, { batchRows: options.batchRows ?? 2000, dryRun: Boolean(options.dryRun), stopped }));
    }
    result.complete = result.tables.length === policies.length && result.tables.every((t) => t.complete);
    if (!options.dryRun) Object.assign(result, giveBackSpace(db));
  } finally {
    db.close();
  }
  result.elapsedMs = Math.round(performance.now() - started);
  return result;
}

/** The table exists, has rowids, and its time column holds times: anything else is the declaration's mistake. */
function assertReadable(db: Db, store: string, table: string, policy: RetentionPolicy): void {
  const where = `stores.${store}.retention.${table}`;
  const info = readTableInfo(db, table);
  if (!info) throw new CairnError('E_CONFIG', `${where}: ${db.file} has no table ${table}`, { store, table });
  if (info.withoutRowid) throw new CairnError('E_CONFIG', `${where}: ${table} is a WITHOUT ROWID table; retention deletes by rowid ranges`, { store, table });
  if (!info.columns.some((c) => c.name === policy.timeColumn)) {
    throw new CairnError(
      'E_CONFIG',
      `${where}.timeColumn: ${table} has no column ${policy.timeColumn} (its columns: ${info.columns.map((c) => c.name).join(', ')})`,
      {
        store,
        table,
      },
    );
  }
  if (policy.maxAgeMs === null) return;
  const column = quoteIdent(policy.timeColumn);
  const bad = db
    .prepare(`SELECT ${column} AS v FROM ${quoteIdent(table)} WHERE ${column} IS NOT NULL AND ${unixSecondsOf(policy.timeColumn)} IS NULL LIMIT 1`)
    .get<{ v: unknown }>();
  if (bad) {
    throw new CairnError(
      'E_CONFIG',
      `${where}.timeColumn: ${table}.${policy.timeColumn} holds ${JSON.stringify(String(bad.v))}, which is not a time (ISO 8601 text, or Unix seconds or milliseconds); nothing was pruned`,
      { store, table, value: String(bad.v) },
    );
  }
}

interface PruneRun {
  batchRows: number;
  dryRun: boolean;
  /** True once the budget is spent or the signal fired: checked before each batch. */
  stopped: () => boolean;
}

async function pruneTable(db: Db, table: string, policy: RetentionPolicy, cutoff: number, run: PruneRun): Promise<PrunedTable> {
  const { dryRun } = run;
  const t = quoteIdent(table);
  const count = (where = '1', params: unknown[] = []): number =>
    Number(db.prepare(`SELECT count(*) AS n FROM ${t} WHERE ${where}`).get<{ n: number }>(...(params as never[]))?.n ?? 0);
  const old = policy.maxAgeMs === null ? null : { where: `${unixSecondsOf(policy.timeColumn)} < ?`, params: [cutoff - policy.maxAgeMs / 1000] };
  const out: PrunedTable = { table, byAge: 0, byCount: 0, rowsLeft: 0, batches: 0, complete: true };
  if (dryRun) {
    out.byAge = old ? count(old.where, old.params) : 0;
    const left = count() - out.byAge;
    out.byCount = policy.maxRows === null ? 0 : Math.max(0, left - policy.maxRows);
    out.rowsLeft = left - out.byCount;
    return out;
  }
  if (old) {
    const step = db.prepare(`DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE ${old.where} ORDER BY rowid LIMIT ?)`);
    out.byAge = await deleteInBatches(db, (limit) => step.run(...(old.params as number[]), limit).changes, Infinity, run, out);
  }
  if (policy.maxRows !== null && out.complete) {
    // Counted once: rows the app adds meanwhile are the newest, and stay.
    const step = db.prepare(`DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} ORDER BY rowid LIMIT ?)`);
    out.byCount = await deleteInBatches(db, (limit) => step.run(limit).changes, Math.max(0, count() - policy.maxRows), run, out);
  }
  out.rowsLeft = count();
  return out;
}

/**
 * Deletes up to `total` rows, `batchRows` at a time, each batch its own short
 * transaction, until a batch finds fewer rows than it may take, pausing
 * between batches so other writers get the lock.
 */
async function deleteInBatches(db: Db, batch: (limit: number) => number, total: number, run: PruneRun, out: PrunedTable): Promise<number> {
  let deleted = 0;
  while (deleted < total) {
    if (out.batches > 0 && run.stopped()) {
      out.complete = false;
      break;
    }
    const limit = Math.min(run.batchRows, total - deleted);
    const started = performance.now();
    const n = db.withTransaction(() => batch(limit));
    deleted += n;
    if (n > 0) out.batches += 1;
    if (n < limit) break;
    // As long a pause as the batch held the lock (2 ms at least): a writer in another process, retrying on its busy
    // handler's schedule (1, 2, 5, 10 … ms), finds the lock free within a retry or two instead of missing every gap.
    await new Promise((resolve) => setTimeout(resolve, Math.max(2, performance.now() - started)));
  }
  return deleted;
}

/**
 * Deleted rows leave free pages in the file. With auto_vacuum=INCREMENTAL
 * they are given back at once (PRAGMA incremental_vacuum); otherwise SQLite
 * reuses them for new rows, and the file only shrinks with a VACUUM, which
 * rewrites the whole file under an exclusive lock: cairn does not run one
 * behind an app's back, and says so.
 */
function giveBackSpace(db: Db): Pick<PruneResult, 'pagesFreed' | 'note'> {
  if (Number(db.pragmaValue('auto_vacuum')) !== 2) {
    return { pagesFreed: null, note: 'the freed pages are reused for new rows; the file shrinks only with VACUUM (auto_vacuum is not INCREMENTAL)' };
  }
  const before = Number(db.pragmaValue('freelist_count'));
  db.exec('PRAGMA incremental_vacuum');
  return { pagesFreed: before - Number(db.pragmaValue('freelist_count')), note: null };
}
