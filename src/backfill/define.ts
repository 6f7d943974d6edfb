import type { ImportRow, MapContext, SourceRecord } from '../importers/define.js';
import type { WriteMode } from '../importers/writer.js';

/**
 * The shape of a backfill job: what an app declares so years of JSONL
 * history reach its stores in the background, resumably. Like an import plan
 * it is data plus a pure `map`; unlike one it runs on every start until it is
 * complete, checkpoints as it goes, and picks up files that appear or grow.
 */

/** One work item: a JSONL file. */
export interface BackfillItem {
  /** Absolute path. */
  file: string;
  /** Its place in the job's order (by default the path relative to the job's root, with `/`). */
  watermark: string;
}

/**
 * One line of an item, parsed: the record an import plan's `map` gets too,
 * `{ source, file, line, value }`, with `source` the job's name. One mapper
 * can serve a plan and a job.
 */
export interface BackfillRecord<T = unknown> extends SourceRecord<T> {
  /** 1-based line number in the file. */
  line: number;
  /**
   * The item the line came from.
   * @deprecated Read `record.file` (the same path); `item` stays so maps written for cairn 0.1 keep working.
   */
  item: BackfillItem;
}

/** The context every mapper gets (see MapContext): `home`, and `root`, the folder `items` globs were resolved against. */
export type BackfillContext = MapContext;

/** What `map` returns for one line: rows keyed by table. `null`/`undefined` (or `{ skip: 'reason' }`) skips the line on purpose. */
export interface BackfillMapResult {
  rows?: Record<string, ImportRow | ImportRow[]>;
  skip?: string;
}

export type BackfillMapFn = (record: BackfillRecord, context: BackfillContext) => BackfillMapResult | null | undefined;

export interface BackfillJob {
  /** The job's name in `cairn_backfill_state` (default: its name in the config, or its file name). */
  name?: string;
  /** The store the rows go into. */
  target: string;
  /**
   * The work items: a glob (or several) of JSONL files relative to the job's
   * root (`--from`, default the stores' home; `~` expands), or a function
   * listing absolute paths.
   */
  items: string | string[] | ((context: BackfillContext) => string[]);
  /** Deterministic, sortable position of an item; items run in this order and the job resumes after the last one done. */
  watermark?: (file: string, context: BackfillContext) => string;
  /**
   * One line of an item to rows. Called once per line, so it must not depend
   * on earlier lines: that is what lets a killed run, or a file that grew,
   * continue mid-file without doubling a row.
   */
  map: BackfillMapFn;
  /** Items per checkpoint (default 200). */
  batchSize?: number;
  /** Rows per checkpoint at most (default 2,000): a big item is split at line boundaries. */
  batchRows?: number;
  /** How long a run's lease lasts without a checkpoint renewing it (default 60 s). */
  leaseMs?: number;
  /** How rows meet existing ones with the same key: `insert` (default) keeps them, `upsert` updates changed values. */
  mode?: WriteMode;
}

export const DEFAULT_BATCH_ITEMS = 200;
/**
 * Measured (npm run bench): 2,000-row transactions keep up with the raw
 * insert limit; 20,000 ran 25% slower, the larger batches costing more in
 * copying between threads and garbage collection than they save in commits.
 */
export const DEFAULT_BATCH_ROWS = 2_000;
export const DEFAULT_LEASE_MS = 60_000;

/** Typed identity for job modules: `export default defineBackfill({ … })`. */
export function defineBackfill(job: BackfillJob): BackfillJob {
  return job;
}

export function isBackfillJob(value: unknown): value is BackfillJob {
  const v = value as BackfillJob | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.target === 'string' &&
    typeof v.map === 'function' &&
    (typeof v.items === 'string' || typeof v.items === 'function' || Array.isArray(v.items))
  );
}
