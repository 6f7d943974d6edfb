import path from 'node:path';
import { findTargetStore, isPostgresStore, type PostgresStore, type ResolvedStore, type StoreRegistry } from '../config/stores.js';
import { loadDefaultExport, moduleNameOf, resolveModule, type ModuleKind } from '../config/modules.js';
import { CairnError, errorMessage } from '../errors.js';
import type { Env } from '../migrations/envsub.js';
import type { MigrateResult } from '../migrations/migrator.js';
import { prepareTarget } from '../stores/prepare-target.js';
import { copyOnce, type CopyCounts } from './copy.js';
import { isImportPlan, type ImportMode, type ImportPlan, type MapContext } from './define.js';
import { inlineBatches, useWorker, workerBatches } from './pipeline.js';
import { orderSources, originOf, type Batch, type RejectEntry } from './produce.js';
import type { RecordOrigin } from './define.js';
import { importRejectsFile, RejectsFile } from './rejects.js';
import { writeImportLedger } from './ledger.js';
import { expandPath, resolveSources, type ResolvedSource } from './sources.js';
import { rowObject, RowWriter, type TableCounts, type WrittenRow } from './writer.js';
import type { RejectSink, WriteGroup } from './outcome.js';
import { describeTarget } from '../postgres/target.js';
import type { CopyColumns } from '../postgres/copy-text.js';

export interface RunImportOptions {
  /** A plan object, or the path of a plan module (.mjs/.js/.ts). A path lets reading run on a worker thread. */
  plan: ImportPlan | string;
  /** A name for the plan in reports and the rejects file name (default: the module's base name, or "import"). */
  name?: string;
  /** The folder relative source paths resolve against (default: the stores' home). */
  from?: string;
  dryRun?: boolean;
  /** Apply pending migrations to the target first instead of refusing. */
  migrate?: boolean;
  /** Overrides the plan's mode. */
  mode?: ImportMode;
  /** Where rejected input goes (default: `<home>/import-<name>-<time>.rejects.jsonl`). Never written on a dry run. */
  rejectsFile?: string;
  /** Read and map on a worker thread (default: when `plan` is a path and a second core is free). */
  worker?: boolean;
  env?: Env;
  now?: () => Date;
  onProgress?: (progress: ImportProgress) => void;
  /**
   * Stops the run at the next batch boundary (Ctrl-C in the CLI): every
   * batch written so far stays committed, and rows held back for a parent
   * not seen yet are left for the next run rather than rejected. Running the
   * same import again finishes it.
   */
  signal?: AbortSignal;
}

export interface ImportProgress {
  bytesDone: number;
  bytesTotal: number;
  records: number;
  rowsWritten: number;
  rejected: number;
}

export interface SourceSummary {
  files: number;
  records: number;
  /** Records the plan's map skipped on purpose (returned null, or `{ skip: reason }`). */
  skipped: number;
  /** Of those, how many for each reason the map gave; skips without a reason are not listed. */
  skipReasons: Record<string, number>;
  /** Records that never became rows: unreadable, malformed, or the map threw. */
  rejected: number;
  note: string | null;
}

/** What `cairn import --json` prints. */
export interface ImportSummary {
  plan: string;
  store: string;
  file: string;
  dryRun: boolean;
  mode: ImportMode;
  /** The DB was created by this run (through its migrations). */
  created: boolean;
  migrated: MigrateResult | null;
  sources: Record<string, SourceSummary>;
  tables: Record<string, TableCounts>;
  copies: Record<string, CopyCounts>;
  /** Everything rejected: records, rows and copies. */
  rejected: number;
  rejectsFile: string | null;
  rejectSamples: RejectEntry[];
  elapsedMs: number;
  rowsPerSecond: number;
  warnings: string[];
  /** The run was stopped (`signal`) before it read every source: run it again to finish. */
  stopped: boolean;
}

const PLAN_MODULE: ModuleKind<ImportPlan> = {
  section: 'imports',
  noun: 'import plan',
  expected: 'defineImport({ target, sources, map })',
  is: isImportPlan,
};

/** Finds a plan by its name in the config's `imports`, else as a path. */
export function resolvePlanPath(registry: StoreRegistry, nameOrPath: string, cwd: string): { name: string; file: string } {
  return resolveModule(registry.imports, registry.root, nameOrPath, cwd, PLAN_MODULE);
}

export function loadPlan(file: string): Promise<ImportPlan> {
  return loadDefaultExport(file, PLAN_MODULE);
}

/**
 * Runs an import plan into its target store: preconditions (each a refusal
 * before anything is written), then read → map → write in batches, then the
 * held-back rows, then the summary. Safe to run again: existing rows count as
 * already present and nothing new is written.
 */
export async function runImport(registry: StoreRegistry, options: RunImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const planFile = typeof options.plan === 'string' ? path.resolve(options.plan) : null;
  const plan = planFile ? await loadPlan(planFile) : (options.plan as ImportPlan);
  if (!isImportPlan(plan)) throw new CairnError('E_PLAN', 'expected an import plan made with defineImport({ target, sources, map })');
  const name = options.name ?? (planFile ? moduleNameOf(planFile) : 'import');
  const store = findTargetStore(registry, plan.target, `import plan ${name}`);
  const mode = options.mode ?? plan.mode ?? 'insert';
  const dryRun = options.dryRun ?? false;
  const root = options.from ? expandPath(options.from, process.cwd()) : registry.home;
  const context: MapContext = { home: registry.home, root, from: root };

  const declared = resolveSources(plan.sources, context.root);
  const target = await openImportTarget(store, { dryRun, migrate: options.migrate, env: options.env, mode });
  const rejects = new RejectsFile<RejectEntry>(dryRun ? null : (options.rejectsFile ?? importRejectsFile(registry.home, name, options.now?.() ?? new Date())));
  const summary: ImportSummary = {
    plan: name,
    store: store.name,
    file: target.where,
    dryRun,
    mode,
    created: target.created,
    migrated: target.migrated,
    sources: Object.fromEntries(declared.map((s) => [s.name, { files: s.files.length, records: 0, skipped: 0, skipReasons: {}, rejected: 0, note: s.note }])),
    tables: {},
    copies: {},
    rejected: 0,
    rejectsFile: null,
    rejectSamples: [],
    elapsedMs: 0,
    rowsPerSecond: 0,
    warnings: [...target.warnings, ...declared.flatMap((s) => (s.note && !s.spec.optional ? [`source ${s.name}: ${s.note}`] : []))],
    stopped: false,
  };
  try {
    const { writer } = target;
    const sources = orderSources(plan, declared, context, (table) => writer.rankOf(table));
    const rejectRow = (row: WrittenRow<RecordOrigin>, reason: string): void => {
      rejects.add({ ...row.origin, table: row.table, reason, row: rowObject(row) });
    };
    const progress: ImportProgress = { bytesDone: 0, bytesTotal: sources.reduce((n, s) => n + s.bytes, 0), records: 0, rowsWritten: 0, rejected: 0 };
    const batches =
      planFile !== null && useWorker(options.worker)
        ? workerBatches({ kind: 'import', planFile: planFile as string, sources, context, batchRows: plan.batchSize, copyColumns: target.copyColumns })
        : inlineBatches(plan, sources, context);
    for await (const batch of batches) {
      for (const entry of batch.rejects) {
        rejects.add(entry);
        summary.sources[entry.source]!.rejected += 1;
      }
      for (const [source, n] of Object.entries(batch.records)) summary.sources[source]!.records += n;
      for (const [source, n] of Object.entries(batch.skipped)) summary.sources[source]!.skipped += n;
      for (const [source, reasons] of Object.entries(batch.skipReasons)) {
        const counts = summary.sources[source]!.skipReasons;
        for (const [reason, n] of Object.entries(reasons)) counts[reason] = (counts[reason] ?? 0) + n;
      }
      await writer.write(batch.groups, (tag) => originOf(batch, tag), rejectRow);
      runCopies(batch, summary, rejects, dryRun, { fromRoot: context.root, toRoot: context.home });
      progress.bytesDone += batch.bytes;
      progress.records = Object.values(summary.sources).reduce((n, s) => n + s.records, 0);
      progress.rowsWritten += batch.rowCount;
      progress.rejected = rejects.count;
      options.onProgress?.(progress);
      if (options.signal?.aborted) {
        summary.stopped = true;
        break;
      }
    }
    // Held-back rows wait for parents later input may bring: a stopped run leaves them to the next one, never rejects them.
    if (!summary.stopped) await writer.finish(rejectRow);
    summary.tables = writer.counts();
    // Which legacy files this run took in, for doctor's "still on disk" report; only a run that read everything.
    if (!summary.stopped && !dryRun) {
      writeImportLedger(
        registry.home,
        name,
        context.root,
        declared.flatMap((s) => s.files),
        options.now?.() ?? new Date(),
      );
    }
  } finally {
    rejects.close();
    await target.close();
  }
  summary.rejected = rejects.count;
  summary.rejectsFile = rejects.path;
  summary.rejectSamples = rejects.samples;
  summary.elapsedMs = Math.round(performance.now() - started);
  const rows = Object.values(summary.tables).reduce((n, t) => n + t.inserted + t.alreadyPresent + t.updated + t.rejected, 0);
  summary.rowsPerSecond = summary.elapsedMs > 0 ? Math.round((rows * 1000) / summary.elapsedMs) : rows;
  return summary;
}

/** The writer an import needs, on either engine (the SQLite one is synchronous; awaiting it costs nothing). */
interface ImportWriter {
  write(groups: readonly WriteGroup[], originOf: (tag: number) => RecordOrigin, onReject: RejectSink<RecordOrigin>): void | Promise<void>;
  finish(onReject: RejectSink<RecordOrigin>): void | Promise<void>;
  counts(): Record<string, TableCounts>;
  rankOf(table: string): number;
}

interface ImportTarget {
  writer: ImportWriter;
  /** A server store's columns, for the worker to encode rows as COPY text. */
  copyColumns?: CopyColumns;
  /** The store's file, or its server and schema: what the summary names. */
  where: string;
  created: boolean;
  migrated: MigrateResult | null;
  warnings: string[];
  close(): void | Promise<void>;
}

async function openImportTarget(
  store: ResolvedStore | PostgresStore,
  options: { dryRun: boolean; migrate?: boolean; env?: Env; mode: ImportMode },
): Promise<ImportTarget> {
  if (isPostgresStore(store)) {
    const { preparePgImport } = await import('../postgres/write-target.js');
    const target = await preparePgImport<RecordOrigin>(store, options);
    return { ...target, where: describeTarget(store), copyColumns: target.writer.copyColumns() };
  }
  const target = await prepareTarget(store, { ...options, verb: 'importing into' });
  return { ...target, where: store.file, writer: new RowWriter<RecordOrigin>(target.db, { mode: options.mode }) };
}

function runCopies(
  batch: Batch,
  summary: ImportSummary,
  rejects: RejectsFile<RejectEntry>,
  dryRun: boolean,
  roots: { fromRoot: string; toRoot: string },
): void {
  for (const copy of batch.copies) {
    const counts = (summary.copies[copy.label] ??= { copied: 0, alreadyPresent: 0, skipped: 0, failed: 0 });
    try {
      counts[copyOnce(copy.from, copy.to, { dryRun, ...roots })] += 1;
    } catch (error) {
      counts.failed += 1;
      rejects.add({ ...originOf(batch, copy.origin), reason: `copy ${copy.from} → ${copy.to} failed: ${errorMessage(error)}` });
    }
  }
}

export type { ResolvedSource };
