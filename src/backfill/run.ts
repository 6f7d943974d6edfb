import path from 'node:path';
import { loadDefaultExport, resolveModule, type ModuleKind } from '../config/modules.js';
import { expandTilde } from '../config/paths.js';
import { selectStores, type ResolvedStore, type StoreRegistry } from '../config/stores.js';
import { CairnError, type CairnErrorCode } from '../errors.js';
import type { Env } from '../migrations/envsub.js';
import { assertMigrated, migrateStore } from '../migrations/migrator.js';
import { storeStatus } from '../migrations/status.js';
import { originOf, type RejectEntry } from '../importers/produce.js';
import type { RecordOrigin } from '../importers/define.js';
import { rowObject, RowWriter, type Outcome, type TableCounts } from '../importers/writer.js';
import type { Db } from '../sqlite/db.js';
import { openDatabase } from '../sqlite/open.js';
import { DEFAULT_LEASE_MS, isBackfillJob, type BackfillContext, type BackfillJob } from './define.js';
import { fingerprintOf, listItems, tailHash } from './items.js';
import { workerBatches, yieldingBatches } from '../importers/pipeline.js';
import { produceBackfillBatches, type BackfillBatch, type WorkItem, type WorkReason } from './produce.js';
import { RejectsLedger } from './rejects-ledger.js';
import { ensureStateTables, leaseIsLive, newLeaseOwner, readItemRecords, readJobState, type ItemRecord, type JobState } from './state.js';
import { databaseExists } from '../sqlite/files.js';

export interface RunBackfillOptions {
  /** A job object, a job's name in the config's `backfills`, or the path of a job module (.mjs/.js/.ts). */
  job: BackfillJob | string;
  /** The job's name in the state table (default: the job's `name`, else its name in the config, else the module's base name). */
  name?: string;
  /** The folder item globs resolve against (default: the stores' home). */
  from?: string;
  /** Also look at items already done: new ones in any order, grown ones from their recorded offset, rewritten ones again. */
  refresh?: boolean;
  /** Apply pending migrations to the target first instead of refusing. */
  migrate?: boolean;
  /** Where rejected lines go (default: `<home>/backfill-<job>.rejects.jsonl`). */
  rejectsFile?: string;
  /** Read and map on a worker thread (default: true when the job is a module, by name or path). */
  worker?: boolean;
  /** Stops after the batch being written commits. */
  signal?: AbortSignal;
  onProgress?: (progress: BackfillProgress) => void;
  env?: Env;
  /** The clock for leases and timestamps (tests). */
  now?: () => number;
}

export interface BackfillProgress {
  itemsTotal: number;
  itemsDone: number;
  rows: number;
  rejected: number;
}

export interface BackfillItemCounts {
  /** Items the listing found. */
  listed: number;
  /** Already done and unchanged (not read). */
  unchanged: number;
  new: number;
  /** Cut short by an earlier run (killed or stopped) and continued from its offset. */
  resumed: number;
  /** Done before, grown since (refresh): read from the recorded offset. */
  grown: number;
  /** Done before, rewritten since (refresh): read again from the start. */
  changed: number;
  /** Unreadable last time, tried again. */
  retried: number;
  /** Unreadable this run: recorded and skipped. */
  failed: number;
  /** Recorded as done but no longer listed (their rows stay). */
  missing: number;
}

/** What `cairn backfill <job> --json` prints. */
export interface BackfillResult {
  job: string;
  store: string;
  file: string;
  /** complete: this run finished the job; already-complete: nothing to do; stopped: stop() or the signal; busy: another process holds the job. */
  outcome: 'complete' | 'already-complete' | 'stopped' | 'busy';
  /** The holder's lease, when busy. */
  holder: { owner: string; expiresAt: string } | null;
  items: BackfillItemCounts;
  tables: Record<string, TableCounts>;
  /** Lines and rows rejected by this run. */
  rejected: number;
  rejectsFile: string | null;
  rejectSamples: RejectEntry[];
  lastWatermark: string | null;
  elapsedMs: number;
  rowsPerSecond: number;
}

/** A backfill running in the background: await it, watch it, or stop it. */
export interface BackfillRun {
  readonly done: Promise<BackfillResult>;
  progress(): BackfillProgress;
  /** Asks the run to stop after the batch in flight commits; resolves with its result. */
  stop(): Promise<BackfillResult>;
}

const JOB_MODULE: ModuleKind<BackfillJob> = {
  section: 'backfills',
  noun: 'backfill job',
  expected: 'defineBackfill({ target, items, map })',
  is: isBackfillJob,
};

/** Finds a job by its name in the config's `backfills`, else as a path. */
export function resolveJobPath(registry: StoreRegistry, nameOrPath: string, cwd: string): { name: string; file: string } {
  return resolveModule(registry.backfills, registry.root, nameOrPath, cwd, JOB_MODULE);
}

export function loadBackfill(file: string): Promise<BackfillJob> {
  return loadDefaultExport(file, JOB_MODULE);
}

/**
 * Starts a backfill without blocking: the work runs in batches, yielding to
 * the event loop between them, so an app can call this at startup and go on
 * serving. Errors surface through `done`.
 */
export function startBackfill(registry: StoreRegistry, options: RunBackfillOptions): BackfillRun {
  const controller = new AbortController();
  options.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  let latest: BackfillProgress = { itemsTotal: 0, itemsDone: 0, rows: 0, rejected: 0 };
  const done = (async () => {
    await new Promise((resolve) => setImmediate(resolve)); // return to the caller before any work
    return runBackfill(registry, {
      ...options,
      signal: controller.signal,
      onProgress: (p) => {
        latest = { ...p };
        options.onProgress?.(p);
      },
    });
  })();
  return {
    done,
    progress: () => ({ ...latest }),
    stop: () => {
      controller.abort();
      return done;
    },
  };
}

/**
 * Runs a backfill job until it is complete (or stopped). A complete job
 * costs one indexed read; otherwise the job takes its lease, lists its items
 * in watermark order, skips what earlier runs recorded, and writes the rest
 * in batches whose rows, item offsets, counters and rejects-file length
 * commit in one transaction. Killed at any point, the next run continues
 * from the last commit and ends with exactly the rows of an uninterrupted run.
 */
export async function runBackfill(registry: StoreRegistry, options: RunBackfillOptions): Promise<BackfillResult> {
  const clock = options.now ?? Date.now;
  const started = performance.now();
  const located = typeof options.job === 'string' ? resolveJobPath(registry, options.job, process.cwd()) : null;
  const job = located ? await loadBackfill(located.file) : (options.job as BackfillJob);
  if (!isBackfillJob(job)) throw new CairnError('E_PLAN', 'expected a backfill job made with defineBackfill({ target, items, map })');
  const name = options.name ?? job.name ?? located?.name ?? null;
  if (!name) throw new CairnError('E_PLAN', 'a backfill job passed as an object needs a name (defineBackfill({ name, … }) or the name option)');
  const [store] = selectStores(registry, [job.target]);
  if (!store) throw new CairnError('E_PLAN', `backfill ${name}: unknown target store ${job.target}`);
  const root = options.from ? path.resolve(process.cwd(), expandTilde(options.from)) : registry.home;
  const context: BackfillContext = { home: registry.home, root, from: root };
  const rejectsPath = path.resolve(options.rejectsFile ?? path.join(registry.home, `backfill-${name}.rejects.jsonl`));
  const result = emptyResult(name, store);

  // The startup fast path comes first: a complete job costs this one indexed read, not a look at the migrations.
  let db: Db | null = databaseExists(store.file) ? openDatabase(store.file, { pragmas: store.pragmas }) : null;
  try {
    const before = db ? readJobState(db, name) : null;
    // A job that completed with unreadable items is not done: a plain re-run retries them (the fast path would skip them forever).
    if (before?.status === 'complete' && !options.refresh && before.itemsFailed === 0) {
      result.outcome = 'already-complete';
      result.lastWatermark = before.lastWatermark;
      result.elapsedMs = Math.round(performance.now() - started);
      return result;
    }
    await assertWritable(store, options);
    db ??= openDatabase(store.file, { pragmas: store.pragmas });
    const leaseMs = job.leaseMs ?? DEFAULT_LEASE_MS;
    const owner = newLeaseOwner();
    const lease = acquireLease(db, name, owner, leaseMs, clock(), rejectsPath);
    if ('busy' in lease) {
      result.outcome = 'busy';
      result.holder = { owner: lease.busy.leaseOwner ?? '', expiresAt: new Date(lease.busy.leaseExpiresAt ?? 0).toISOString() };
      result.lastWatermark = lease.busy.lastWatermark;
      return result;
    }
    const ledger = RejectsLedger.open(rejectsPath, lease.state?.rejectsFile === rejectsPath ? lease.state.rejectsBytes : Number.MAX_SAFE_INTEGER);
    const ledgerStart = ledger.bytes;
    try {
      const work = planWork(listItems(job, name, context), readItemRecords(db, name), options.refresh ?? false, result.items);
      const writer = new RowWriter<RecordOrigin>(db, { mode: job.mode ?? 'insert', holdBack: false });
      const checkpoint = checkpointer(db, name, owner, leaseMs, clock, ledger);
      const progress: BackfillProgress = { itemsTotal: work.length, itemsDone: 0, rows: 0, rejected: 0 };
      options.onProgress?.({ ...progress });
      let stopped = false;
      let committed: RejectEntry[] = [];
      const batches =
        located && options.worker !== false
          ? workerBatches<BackfillBatch>({ kind: 'backfill', jobFile: located.file, name, queue: work, context })
          : yieldingBatches(produceBackfillBatches(job, name, work, context));
      for await (const batch of batches) {
        writer.write(
          batch.groups,
          (tag) => originOf(batch, tag),
          () => undefined, // rejects reach the ledger inside the transaction (checkpoint)
          (outcome) => void (committed = checkpoint(batch, outcome)),
        );
        for (const entry of committed) if (result.rejectSamples.length < 5) result.rejectSamples.push(entry);
        result.rejected += committed.length;
        committed = [];
        for (const item of batch.items) {
          if (item.status === 'failed') result.items.failed += 1;
          if (item.status !== 'partial') progress.itemsDone += 1;
        }
        progress.rows += batch.rowCount;
        progress.rejected = result.rejected;
        options.onProgress?.({ ...progress });
        if (options.signal?.aborted) {
          stopped = true;
          break;
        }
      }
      result.tables = writer.counts();
      if (stopped) result.outcome = 'stopped';
      else {
        completeJob(db, name, owner, clock());
        result.outcome = 'complete';
      }
    } finally {
      ledger.close();
      releaseLease(db, name, owner, clock());
      result.rejectsFile = ledger.bytes > ledgerStart ? rejectsPath : null;
    }
    result.lastWatermark = readJobState(db, name)?.lastWatermark ?? null;
  } finally {
    db?.close();
  }
  result.elapsedMs = Math.round(performance.now() - started);
  const rows = Object.values(result.tables).reduce((n, t) => n + t.inserted + t.alreadyPresent + t.updated, 0);
  result.rowsPerSecond = result.elapsedMs > 0 ? Math.round((rows * 1000) / result.elapsedMs) : rows;
  return result;
}

function emptyResult(job: string, store: ResolvedStore): BackfillResult {
  return {
    job,
    store: store.name,
    file: store.file,
    outcome: 'complete',
    holder: null,
    items: { listed: 0, unchanged: 0, new: 0, resumed: 0, grown: 0, changed: 0, retried: 0, failed: 0, missing: 0 },
    tables: {},
    rejected: 0,
    rejectsFile: null,
    rejectSamples: [],
    lastWatermark: null,
    elapsedMs: 0,
    rowsPerSecond: 0,
  };
}

/** The store must exist at the app's schema: a backfill fills tables, it never creates them. */
async function assertWritable(store: ResolvedStore, options: RunBackfillOptions): Promise<void> {
  const status = storeStatus(store, { env: options.env });
  if (status.error) throw new CairnError(status.error.code as CairnErrorCode, status.error.message, { store: store.name });
  if (status.newerThanApp) {
    throw new CairnError(
      'E_NEWER_THAN_APP',
      `${store.name}: ${store.file} has migrations this app does not know (${status.unknown.map((u) => u.version).join(', ')}); upgrade the app before backfilling into it`,
      { store: store.name, file: store.file },
    );
  }
  const behind = !status.exists || status.pending.length > 0 || status.baselinePending;
  if (!behind) return;
  if (options.migrate) {
    assertMigrated(await migrateStore(store, { env: options.env }));
    return;
  }
  const what = status.exists ? `is at version ${status.current ?? 0} with ${status.pending.length} pending migration(s)` : 'does not exist yet';
  throw new CairnError('E_SCHEMA_BEHIND', `${store.name}: ${store.file} ${what}; run cairn migrate (or openStores) first, or pass --migrate`, {
    store: store.name,
    file: store.file,
  });
}

/** Which items to read, from where, and why; counts the rest into `counts`. */
export function planWork(
  items: readonly { file: string; watermark: string }[],
  records: Map<string, ItemRecord>,
  refresh: boolean,
  counts: BackfillItemCounts,
): WorkItem[] {
  const work: WorkItem[] = [];
  const add = (item: { file: string; watermark: string }, start: number, startLine: number, reason: WorkReason): void => {
    work.push({ ...item, start, startLine, reason });
    counts[reason] += 1;
  };
  counts.listed = items.length;
  const listed = new Set<string>();
  for (const item of items) {
    listed.add(item.watermark);
    const record = records.get(item.watermark);
    if (!record) add(item, 0, 0, 'new');
    else if (record.status === 'partial') add(item, record.offset, record.line, 'resumed');
    else if (record.status === 'failed') add(item, record.offset, record.line, 'retried');
    else if (!refresh) counts.unchanged += 1;
    else {
      const change = changeOf(item.file, record);
      if (change === 'unchanged') counts.unchanged += 1;
      else if (change === 'grown') add(item, record.offset, record.line, 'grown');
      else add(item, 0, 0, 'changed');
    }
  }
  for (const watermark of records.keys()) if (!listed.has(watermark)) counts.missing += 1;
  return work;
}

/** A done item's file now: as recorded, appended to (the bytes before the offset unchanged), or rewritten. */
function changeOf(file: string, record: ItemRecord): 'unchanged' | 'grown' | 'changed' {
  let now;
  try {
    now = fingerprintOf(file);
  } catch {
    return 'changed'; // unreadable now: reading it records the failure
  }
  if (now.size === record.size && now.mtime === record.mtime) return 'unchanged';
  if (now.size >= record.offset && tailHash(file, record.offset) === record.tailSha256) return 'grown';
  return 'changed';
}

type Lease = { state: JobState | null } | { busy: JobState };

/** Takes the job's lease in one IMMEDIATE transaction, creating the state tables on first use. */
function acquireLease(db: Db, job: string, owner: string, leaseMs: number, now: number, rejectsFile: string): Lease {
  return db.withTransaction((): Lease => {
    ensureStateTables(db);
    const state = readJobState(db, job);
    if (state && leaseIsLive(state, now)) return { busy: state };
    const at = new Date(now).toISOString();
    db.prepare(
      `INSERT INTO cairn_backfill_state (job, status, started_at, updated_at, lease_owner, lease_expires_at, rejects_file)
       VALUES (?, 'running', ?, ?, ?, ?, ?)
       ON CONFLICT (job) DO UPDATE SET status = 'running', started_at = coalesce(started_at, excluded.started_at),
         updated_at = excluded.updated_at, lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at,
         rejects_file = excluded.rejects_file,
         rejects_bytes = CASE WHEN rejects_file IS excluded.rejects_file THEN rejects_bytes ELSE 0 END`,
    ).run(job, at, at, owner, now + leaseMs, rejectsFile);
    return { state };
  });
}

/**
 * The checkpoint, inside the batch's transaction: the batch's rejects are
 * appended to the ledger, each item's offset and fingerprint recorded, the
 * job's counters recomputed and its lease renewed. A lease taken over by
 * another process (ours expired) aborts the batch.
 */
function checkpointer(db: Db, job: string, owner: string, leaseMs: number, clock: () => number, ledger: RejectsLedger) {
  const upsertItem = db.prepare(
    `INSERT INTO cairn_backfill_items (job, watermark, file, status, size, mtime, offset, line, tail_sha256, rows, rejected, error, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (job, watermark) DO UPDATE SET file = excluded.file, status = excluded.status, size = excluded.size, mtime = excluded.mtime,
       offset = excluded.offset, line = excluded.line, tail_sha256 = excluded.tail_sha256, error = excluded.error, updated_at = excluded.updated_at,
       rows = CASE WHEN ? THEN excluded.rows ELSE rows + excluded.rows END,
       rejected = CASE WHEN ? THEN excluded.rejected ELSE rejected + excluded.rejected END`,
  );
  const readItem = db.prepare('SELECT status, rows, rejected FROM cairn_backfill_items WHERE job = ? AND watermark = ?');
  // Counters move by deltas (one indexed read per item), never by recounting: a checkpoint costs the same at item 10 and at item 1,000,000.
  const updateState = db.prepare(
    `UPDATE cairn_backfill_state SET
       last_watermark = CASE WHEN last_watermark IS NULL OR ? > last_watermark THEN coalesce(?, last_watermark) ELSE last_watermark END,
       items_done = items_done + ?, items_failed = items_failed + ?, rows_done = rows_done + ?, rejected = rejected + ?,
       rejects_bytes = ?, updated_at = ?, lease_expires_at = ?
     WHERE job = ? AND lease_owner = ?`,
  );
  // Where the ledger stood before each batch: if a batch's checkpoint runs twice (its COMMIT failed on a
  // deferred constraint and the writer redid it row by row), the first attempt's lines are taken back.
  const ledgerBefore = new WeakMap<BackfillBatch, number>();
  return (batch: BackfillBatch, outcome: Outcome<RecordOrigin>): RejectEntry[] => {
    const now = clock();
    const at = new Date(now).toISOString();
    const rowRejects: RejectEntry[] = outcome.rejects.map(([row, reason]) => ({ ...row.origin, table: row.table, reason, row: rowObject(row) }));
    const entries = [...batch.rejects, ...rowRejects];
    const start = ledgerBefore.get(batch);
    if (start === undefined) ledgerBefore.set(batch, ledger.bytes);
    else ledger.truncate(start);
    const bytes = ledger.append(entries);
    const rowRejectsByFile = new Map<string, number>();
    for (const entry of rowRejects) rowRejectsByFile.set(entry.file, (rowRejectsByFile.get(entry.file) ?? 0) + 1);
    let lastDone: string | null = null;
    const delta = { done: 0, failed: 0, rows: 0, rejected: 0 };
    for (const item of batch.items) {
      const rowRejected = rowRejectsByFile.get(item.file) ?? 0;
      rowRejectsByFile.delete(item.file); // counted once, on the item's first slice in this batch
      const rows = item.rows - rowRejected;
      const rejected = item.rejected + rowRejected;
      const old = readItem.get<{ status: string; rows: number; rejected: number }>(job, item.watermark);
      const restart = item.fromStart || !old;
      upsertItem.run(
        job,
        item.watermark,
        item.file,
        item.status,
        item.size,
        item.mtime,
        item.offset,
        item.line,
        item.tailSha256,
        rows,
        rejected,
        item.error,
        at,
        restart ? 1 : 0,
        restart ? 1 : 0,
      );
      delta.done += (item.status === 'done' ? 1 : 0) - (old?.status === 'done' ? 1 : 0);
      delta.failed += (item.status === 'failed' ? 1 : 0) - (old?.status === 'failed' ? 1 : 0);
      delta.rows += restart ? rows - (old?.rows ?? 0) : rows;
      delta.rejected += restart ? rejected - (old?.rejected ?? 0) : rejected;
      if (item.status !== 'partial' && (lastDone === null || item.watermark > lastDone)) lastDone = item.watermark;
    }
    const changes = updateState.run(lastDone, lastDone, delta.done, delta.failed, delta.rows, delta.rejected, bytes, at, now + leaseMs, job, owner).changes;
    if (changes === 0) {
      throw new CairnError(
        'E_BACKFILL_LEASE_LOST',
        `backfill ${job}: another process took over the job (this run's lease expired); this batch was rolled back`,
        {
          job,
        },
      );
    }
    return entries;
  };
}

function completeJob(db: Db, job: string, owner: string, now: number): void {
  const at = new Date(now).toISOString();
  db.prepare("UPDATE cairn_backfill_state SET status = 'complete', last_success_at = ?, updated_at = ? WHERE job = ? AND lease_owner = ?").run(
    at,
    at,
    job,
    owner,
  );
}

/** Frees the lease; a run that did not complete leaves the job pending for the next one. */
function releaseLease(db: Db, job: string, owner: string, now: number): void {
  try {
    db.prepare(
      "UPDATE cairn_backfill_state SET lease_owner = NULL, lease_expires_at = NULL, status = CASE WHEN status = 'running' THEN 'pending' ELSE status END, updated_at = ? WHERE job = ? AND lease_owner = ?",
    ).run(new Date(now).toISOString(), job, owner);
  } catch {
    // The DB is failing (the reason we are unwinding); the lease expires on its own.
  }
}
