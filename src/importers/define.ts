import type { WriteMode } from './writer.js';

/**
 * The shape of an import plan: what an app ships so its users can move flat
 * files into the stores with `cairn import <plan>`. Pure data plus a pure
 * `map`; the engine does the reading, ordering, writing and accounting.
 */

/** Where a record came from; it goes with the record into the rejects file. */
export interface RecordOrigin {
  /** The source's name in the plan. */
  source: string;
  /** Absolute path of the file the record was read from. */
  file: string;
  /** 1-based line, for JSONL records. */
  line?: number;
  /** Object key or array index (JSON `each`), or rowid (SQLite). */
  key?: string;
}

/** The record every mapper gets: an import plan's `map` and a backfill job's `map` alike. */
export interface SourceRecord<T = unknown> extends RecordOrigin {
  value: T;
}

interface SourceBase {
  /** A source whose file or folder may be absent (an optional legacy feature): skipped with a note instead of refused. */
  optional?: boolean;
}

export interface JsonSource extends SourceBase {
  kind: 'json';
  /** A file, or a glob (`sessions/*.json`) of files; relative to the import's `--from` folder. */
  path: string;
  /**
   * Dotted path to an array or object whose elements (or entries) are the
   * records: `"projects"`, `"data.items"`, `"."` for the top level. Without
   * it the whole document is one record.
   */
  each?: string;
}

export interface JsonlSource extends SourceBase {
  kind: 'jsonl';
  /** A file or a glob of files; one record per non-empty line. */
  path: string;
}

export interface SqliteSource extends SourceBase {
  kind: 'sqlite';
  /** Another SQLite file, opened read-only. */
  path: string;
  /** Read every row of this table (in rowid order)… */
  table?: string;
  /** …or of this query. */
  query?: string;
}

export type SourceSpec = JsonSource | JsonlSource | SqliteSource;

/** Constructors for sources: `source.jsonl('transcripts/*.jsonl')`. */
export const source = {
  json(path: string, options: { each?: string; optional?: boolean } = {}): JsonSource {
    return { kind: 'json', path, ...options };
  },
  jsonl(path: string, options: { optional?: boolean } = {}): JsonlSource {
    return { kind: 'jsonl', path, ...options };
  },
  /** A folder glob of JSON and JSONL files; each file is read by its extension. */
  folder(glob: string, options: { each?: string; optional?: boolean } = {}): SourceSpec {
    if (/\.jsonl$/i.test(glob)) return { kind: 'jsonl', path: glob, optional: options.optional };
    return { kind: 'json', path: glob, ...options };
  },
  sqlite(path: string, options: { table: string; optional?: boolean } | { query: string; optional?: boolean }): SqliteSource {
    return { kind: 'sqlite', path, ...options };
  },
};

/** A value a column can take. Objects and arrays are stored as JSON text, booleans as 0/1, Dates as ISO-8601. */
export type ImportValue = string | number | bigint | boolean | null | undefined | Uint8Array | Date | object;
export type ImportRow = Record<string, ImportValue>;

/** A file to put in place beside the DB (a transcript relocated for the new layout). */
export interface CopyStep {
  /** Source file, relative to the `--from` folder. */
  from: string;
  /** Destination, relative to the stores' home. */
  to: string;
  /** Groups copies in the summary (default "files"). */
  label?: string;
}

/**
 * What `map` returns for one record. `null`/`undefined` skips the record on
 * purpose (counted as skipped); `{ skip: 'reason' }` does the same and the
 * summary counts skips by that reason (`sources.<name>.skipReasons`).
 */
export interface MapResult {
  rows?: Record<string, ImportRow | ImportRow[]>;
  copies?: CopyStep[];
  /** Skip this record on purpose, for this reason (a short phrase: "system message", "duplicate header"); rows and copies must be absent. */
  skip?: string;
}

/** What every mapper gets beside the record: an import plan's `map` and a backfill job's `map` alike. */
export interface MapContext {
  /** The stores' home (where copy destinations land). */
  home: string;
  /** The folder relative source paths (a plan's sources, a job's item globs) were resolved against. */
  root: string;
  /**
   * The same folder as `root`.
   * @deprecated Read `root`; `from` stays so plans written for cairn 0.1 keep working.
   */
  from: string;
}

export type MapFn = (record: SourceRecord, context: MapContext) => MapResult | null | undefined;

export interface ImportPlan<S extends Record<string, SourceSpec> = Record<string, SourceSpec>> {
  /** The store the rows go into. */
  target: string;
  /** Read in declaration order. */
  sources: S;
  /** One function for every record (switch on `record.source`), or one per source. */
  map: MapFn | { [K in keyof S]?: MapFn };
  /** `insert` (default) leaves existing rows alone; `upsert` updates rows whose key exists and whose values differ. */
  mode?: ImportMode;
  /** Rows per transaction (default 2,000). */
  batchSize?: number;
}

/** `insert` keeps existing rows; `upsert` updates rows whose key exists and whose values differ. */
export type ImportMode = WriteMode;

/** Typed identity for plan modules: `export default defineImport({ … })`. */
export function defineImport<S extends Record<string, SourceSpec>>(plan: ImportPlan<S>): ImportPlan<S> {
  return plan;
}

export function isImportPlan(value: unknown): value is ImportPlan {
  const v = value as ImportPlan | null;
  return typeof v === 'object' && v !== null && typeof v.target === 'string' && typeof v.sources === 'object' && v.sources !== null && v.map !== undefined;
}
