import path from 'node:path';
import { loadDefaultExport, resolveModule, type ModuleKind } from '../config/modules.js';
import { expandTilde } from '../config/paths.js';
import { findTargetStore, isPostgresStore, type PostgresStore, type ResolvedStore, type StoreRegistry } from '../config/stores.js';
import { CairnError } from '../errors.js';
import type { Env } from '../migrations/envsub.js';
import { originOf, type RejectEntry } from '../importers/produce.js';
import type { TableCounts } from '../importers/outcome.js';
import { DEFAULT_LEASE_MS, isBackfillJob, type BackfillContext, type BackfillJob } from './define.js';
import { fingerprintOf, listItems, tailHash } from './items.js';
import { useWorker, workerBatches, yieldingBatches } from '../importers/pipeline.js';
import { produceBackfillBatches, type BackfillBatch, type WorkItem, type WorkReason } from './produce.js';
import { RejectsLedger } from './rejects-ledger.js';
import { newLeaseOwner, type ItemRecord } from './state.js';
import { sqliteBackfillTarget } from './sqlite-target.js';
import type { BackfillWriter, Checkpoint } from './target.js';

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
  /** Read and map on a worker thread (default: when the job is a module, by name or path, and a second core is free). */
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
  /** What the run went on despite: a newer release's additive versions in the store, migrations it applied. */
  warnings: string[];
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
  const store = findTargetStore(registry, job.target, `backfill ${name}`);
  const root = options.from ? path.resolve(process.cwd(), expandTilde(options.from)) : registry.home;
  const context: BackfillContext = { home: registry.home, root, from: root };
  const rejectsPath = path.resolve(options.rejectsFile ?? path.join(registry.home, `backfill-${name}.rejects.jsonl`));
  const result = emptyResult(name, store);

  const target = isPostgresStore(store)
    ? (await import('../postgres/backfill-target.js')).pgBackfillTarget(store, options.env)
    : sqliteBackfillTarget(store, options.env);
  result.file = target.where;
  try {
    // The startup fast path comes first: a complete job costs this one indexed read, not a look at the migrations.
    const before = await target.readJobState(name);
    // A job that completed with unreadable items is not done: a plain re-run retries them (the fast path would skip them forever).
    if (before?.status === 'complete' && !options.refresh && before.itemsFailed === 0) {
      result.outcome = 'already-complete';
      result.lastWatermark = before.lastWatermark;
      result.elapsedMs = Math.round(performance.now() - started);
      return result;
    }
    result.warnings.push(...(await target.assertWritable(options.migrate ?? false)));
    const leaseMs = job.leaseMs ?? DEFAULT_LEASE_MS;
    const owner = newLeaseOwner();
    const rejectsId = target.rejectsId(rejectsPath);
    const lease = await target.acquireLease(name, owner, leaseMs, clock(), rejectsId);
    if ('busy' in lease) {
      result.outcome = 'busy';
      result.holder = { owner: lease.busy.leaseOwner ?? '', expiresAt: new Date(lease.busy.leaseExpiresAt ?? 0).toISOString() };
      result.lastWatermark = lease.busy.lastWatermark;
      return result;
    }
    // The recorded length is trusted only for the same file: another path (or, on a server, another machine's file) is never cut.
    const ledger = RejectsLedger.open(rejectsPath, lease.state?.rejectsFile === rejectsId ? lease.state.rejectsBytes : Number.MAX_SAFE_INTEGER);
    const ledgerStart = ledger.bytes;
    try {
      const work = planWork(listItems(job, name, context), await target.readItemRecords(name), options.refresh ?? false, result.items);
      const writer = await target.openWriter(job.mode ?? 'insert');
      const checkpoint = target.checkpointer(name, owner, leaseMs, clock, ledger);
      const stopped = await writeBatches(job, { name, work, context, located, options, writer, checkpoint, result });
      await writer.durable?.();
      result.tables = writer.counts();
      if (stopped) result.outcome = 'stopped';
      else {
        await target.completeJob(name, owner, clock());
        result.outcome = 'complete';
      }
    } finally {
      ledger.close();
      await target.releaseLease(name, owner, clock());
      result.rejectsFile = ledger.bytes > ledgerStart ? rejectsPath : null;
    }
    result.lastWatermark = (await target.readJobState(name))?.lastWatermark ?? null;
  } finally {
    await target.close();
  }
  result.elapsedMs = Math.round(performance.now() - started);
  const rows = Object.values(result.tables).reduce((n, t) => n + t.inserted + t.alreadyPresent + t.updated, 0);
  result.rowsPerSecond = result.elapsedMs > 0 ? Math.round((rows * 1000) / result.elapsedMs) : rows;
  return result;
}

/** Reads, maps and writes the work in batches, each checkpointed in its own commit; true when stopped by the signal. */
async function writeBatches(
  job: BackfillJob,
  run: {
    name: string;
    work: WorkItem[];
    context: BackfillContext;
    located: { file: string } | null;
    options: RunBackfillOptions;
    writer: BackfillWriter;
    checkpoint: Checkpoint;
    result: BackfillResult;
  },
): Promise<boolean> {
  const { options, result, writer, checkpoint } = run;
  const progress: BackfillProgress = { itemsTotal: run.work.length, itemsDone: 0, rows: 0, rejected: 0 };
  options.onProgress?.({ ...progress });
  const batches =
    run.located && useWorker(options.worker)
      ? workerBatches<BackfillBatch>({ kind: 'backfill', jobFile: run.located.file, name: run.name, queue: run.work, context: run.context })
      : yieldingBatches(produceBackfillBatches(job, run.name, run.work, run.context));
  for await (const batch of batches) {
    let committed: RejectEntry[] = [];
    await writer.write(
      batch.groups,
      (tag) => originOf(batch, tag),
      () => undefined, // rejects reach the ledger inside the transaction (checkpoint)
      (outcome) => {
        // SQLite's writer runs this inside a synchronous transaction: it must not be deferred to a later tick there.
        const entries = checkpoint(batch, outcome);
        if (entries instanceof Promise) return entries.then((e) => void (committed = e));
        committed = entries;
        return undefined;
      },
    );
    for (const entry of committed) if (result.rejectSamples.length < 5) result.rejectSamples.push(entry);
    result.rejected += committed.length;
    for (const item of batch.items) {
      if (item.status === 'failed') result.items.failed += 1;
      if (item.status !== 'partial') progress.itemsDone += 1;
    }
    progress.rows += batch.rowCount;
    progress.rejected = result.rejected;
    options.onProgress?.({ ...progress });
    if (options.signal?.aborted) return true;
  }
  return false;
}

function emptyResult(job: string, store: ResolvedStore | PostgresStore): BackfillResult {
  return {
    job,
    store: store.name,
    file: '',
    outcome: 'complete',
    holder: null,
    items: { listed: 0, unchanged: 0, new: 0, resumed: 0, grown: 0, changed: 0, retried: 0, failed: 0, missing: 0 },
    tables: {},
    rejected: 0,
    rejectsFile: null,
    rejectSamples: [],
    lastWatermark: null,
    warnings: [],
    elapsedMs: 0,
    rowsPerSecond: 0,
  };
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
