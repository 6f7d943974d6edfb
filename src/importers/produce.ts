import path from 'node:path';
import { errorMessage } from '../errors.js';
import type { SqlValue } from '../sqlite/db.js';
import type { WriteGroup } from './outcome.js';
import { isJsonText, mapping } from './json-text.js';
import type { ImportPlan, MapContext, MapFn, MapResult, RecordOrigin, SourceRecord } from './define.js';
import { readSource, type ResolvedSource, type SourceItem } from './sources.js';

/**
 * Rows of one table with the same columns, packed flat (row after row) so a
 * batch crosses from the worker as arrays of plain values, several times
 * cheaper to copy than one object per row.
 */
export type RowGroup = WriteGroup;

export interface PendingCopy {
  from: string;
  to: string;
  label: string;
  origin: number;
}

/** One line of the rejects file. */
export interface RejectEntry extends RecordOrigin {
  table?: string;
  reason: string;
  /** The input text as read (a JSONL line, a JSON file), when the record never became rows. */
  raw?: string | null;
  /** The bytes, when they are not valid UTF-8. */
  rawBase64?: string;
  /** The row that could not be written, as the mapper produced it. */
  row?: Record<string, unknown>;
}

/** A slice of the import: plain data, so it can cross from a worker thread. */
export interface Batch {
  groups: RowGroup[];
  rowCount: number;
  /** Where each record came from, packed: index into `files`, line (0 = none), key (null = none). */
  files: { source: string; file: string }[];
  originFile: number[];
  originLine: number[];
  originKey: (string | null)[];
  copies: PendingCopy[];
  rejects: RejectEntry[];
  /** Per source: records read, and records the mapper skipped on purpose. */
  records: Record<string, number>;
  skipped: Record<string, number>;
  /** Per source, then per reason the map gave (`{ skip: reason }`): records skipped. */
  skipReasons: Record<string, Record<string, number>>;
  bytes: number;
}

export function emptyBatch(): Batch {
  return {
    groups: [],
    rowCount: 0,
    files: [],
    originFile: [],
    originLine: [],
    originKey: [],
    copies: [],
    rejects: [],
    records: {},
    skipped: {},
    skipReasons: {},
    bytes: 0,
  };
}

/** The origin of record `index` of a batch. */
export function originOf(batch: Batch, index: number): RecordOrigin {
  const { source, file } = batch.files[batch.originFile[index] as number] as { source: string; file: string };
  const line = batch.originLine[index] as number;
  const key = batch.originKey[index];
  return { source, file, ...(line > 0 ? { line } : {}), ...(key !== null && key !== undefined ? { key } : {}) };
}

/** How many rows a batch collects before it goes to the writer. */
export const DEFAULT_BATCH_ROWS = 2000;

/**
 * Reads every source in declaration order, maps each record and groups the
 * result into batches. Pure with respect to the target DB: it runs the same
 * on the main thread or on a worker.
 */
export function* produceBatches(
  plan: ImportPlan,
  sources: ResolvedSource[],
  context: MapContext,
  batchRows = plan.batchSize ?? DEFAULT_BATCH_ROWS,
): Generator<Batch> {
  let batch = new BatchBuilder();
  let items = 0;
  for (const source of sources) {
    const map = mapperFor(plan, source.name);
    for (const item of readSource(source, (n) => (batch.batch.bytes += n))) {
      items += 1;
      handleItem(batch, item, map, context);
      if (batch.batch.rowCount >= batchRows || items >= batchRows * 4) {
        yield batch.batch;
        batch = new BatchBuilder();
        items = 0;
      }
    }
  }
  yield batch.batch;
}

/**
 * Orders sources parents first: a few records of each are read and mapped to
 * learn which tables it writes, and a source goes after every source writing
 * a table its own tables reference. The writer already orders tables within
 * a batch; this orders them across the whole run, so children rarely have to
 * be held back (in memory) for a parent read later. Ties keep declaration
 * order.
 */
export function orderSources(
  plan: ImportPlan,
  sources: ResolvedSource[],
  context: MapContext,
  rankOf: (table: string) => number,
  probe = 20,
): ResolvedSource[] {
  const rank = new Map<string, number>();
  for (const source of sources) {
    const map = mapperFor(plan, source.name);
    let highest = -1;
    let seen = 0;
    for (const item of readSource(source, () => undefined)) {
      if (++seen > probe) break;
      if (item.kind !== 'record' || !map) continue;
      try {
        const result = map(item.record, context);
        for (const table of Object.keys(result?.rows ?? {})) highest = Math.max(highest, rankOf(table));
      } catch {
        // The real pass reports it.
      }
    }
    rank.set(source.name, highest);
  }
  return sources
    .map((source, i) => [source, i] as const)
    .sort((a, b) => (rank.get(a[0].name) ?? 0) - (rank.get(b[0].name) ?? 0) || a[1] - b[1])
    .map(([source]) => source);
}

function mapperFor(plan: ImportPlan, source: string): MapFn | null {
  if (typeof plan.map === 'function') return plan.map;
  return (plan.map as Record<string, MapFn | undefined>)[source] ?? null;
}

/** Fills one batch: packs origins and appends rows to the open group of their table while the columns match. */
export class BatchBuilder {
  readonly batch = emptyBatch();
  private readonly openGroups = new Map<string, RowGroup>();
  private lastFile: string | null = null;

  addOrigin(origin: RecordOrigin): number {
    const b = this.batch;
    if (origin.file !== this.lastFile) {
      b.files.push({ source: origin.source, file: origin.file });
      this.lastFile = origin.file;
    }
    b.originFile.push(b.files.length - 1);
    b.originLine.push(origin.line ?? 0);
    b.originKey.push(origin.key ?? null);
    return b.originFile.length - 1;
  }

  /** Appends one mapped row, or returns why it cannot be stored. */
  addRow(table: string, row: Record<string, unknown>, origin: number): string | null {
    let group = this.openGroups.get(table);
    if (!group || !sameColumns(row, group.columns)) {
      const columns = Object.keys(row).filter((k) => row[k] !== undefined);
      group = { table, columns, values: [], origins: [] };
      this.openGroups.set(table, group);
      this.batch.groups.push(group);
    }
    const start = group.values.length;
    for (const column of group.columns) {
      const value = toSqlValue(row[column]);
      if (value === UNSTORABLE) {
        group.values.length = start;
        return unstorableReason(column, row[column]);
      }
      group.values.push(value);
    }
    group.origins.push(origin);
    this.batch.rowCount += 1;
    return null;
  }
}

function sameColumns(row: Record<string, unknown>, columns: string[]): boolean {
  let i = 0;
  for (const key in row) {
    if (row[key] === undefined || key !== columns[i]) return false;
    i += 1;
  }
  return i === columns.length;
}

/** One source item into a batch: a reject as is, a record through `map` into packed rows (or a reject saying why not). */
export function handleItem(builder: BatchBuilder, item: SourceItem, map: MapFn | null, context: MapContext): void {
  const batch = builder.batch;
  if (item.kind === 'reject') {
    const { kind: _kind, origin, ...rest } = item;
    bump(batch.records, origin.source);
    batch.rejects.push({ ...origin, ...rest });
    return;
  }
  const { record, raw } = item;
  bump(batch.records, record.source);
  const originOfRecord = (): RecordOrigin => withoutValue(record);
  if (!map) {
    batch.rejects.push({ ...originOfRecord(), reason: `the plan has no map for source ${JSON.stringify(record.source)}`, raw: raw ?? safeJson(record.value) });
    return;
  }
  let result: MapResult | null | undefined;
  try {
    // The JSONL line's text is at hand while map runs, for rawJson() to store a member as written.
    result = mapping(record.value, raw, map, record as SourceRecord, context);
  } catch (error) {
    batch.rejects.push({ ...originOfRecord(), reason: `map threw: ${errorMessage(error)}`, raw: raw ?? safeJson(record.value) });
    return;
  }
  if (result === null || result === undefined) {
    bump(batch.skipped, record.source);
    return;
  }
  const problem = checkResult(result);
  if (problem) {
    batch.rejects.push({ ...originOfRecord(), reason: `map returned ${problem}`, raw: raw ?? safeJson(record.value) });
    return;
  }
  if (result.skip !== undefined) {
    bump(batch.skipped, record.source);
    bump((batch.skipReasons[record.source] ??= {}), result.skip);
    return;
  }
  const index = builder.addOrigin(record);
  for (const table in result.rows) {
    const value = result.rows[table];
    for (const row of Array.isArray(value) ? value : [value]) {
      const problemWithRow = builder.addRow(table, row as Record<string, unknown>, index);
      if (problemWithRow) {
        // The row as far as it can be written down, and the input line itself: a value that cannot be stored must not sink the reject too.
        batch.rejects.push({ ...originOfRecord(), table, reason: problemWithRow, row: storableRow(row as Record<string, unknown>), raw: raw ?? null });
      }
    }
  }
  for (const copy of result.copies ?? []) {
    batch.copies.push({ from: path.resolve(context.root, copy.from), to: path.resolve(context.home, copy.to), label: copy.label ?? 'files', origin: index });
  }
}

function withoutValue(record: SourceRecord): RecordOrigin {
  const { value: _value, ...origin } = record;
  return origin;
}

/** Why a map result is malformed, or null. Cheap on the common shape: it runs once per record. */
const RESULT_KEYS = new Set(['rows', 'copies', 'skip']);

function checkResult(result: MapResult): string | null {
  if (typeof result !== 'object') return `a ${typeof result}; expected { rows, copies } or null`;
  for (const key in result) {
    if (!RESULT_KEYS.has(key)) {
      const extra = Object.keys(result).filter((k) => !RESULT_KEYS.has(k));
      return `unknown ${extra.length === 1 ? 'key' : 'keys'} ${extra.join(', ')}; expected { rows: { table: row | row[] }, copies: [{ from, to }] } or { skip: "reason" }`;
    }
  }
  if (result.skip !== undefined) {
    if (typeof result.skip !== 'string' || !result.skip.trim()) return '`skip` that is not a reason (a non-empty string)';
    if (result.rows !== undefined || result.copies !== undefined) return '`skip` beside rows or copies; a skipped record writes nothing';
  }
  if (result.rows !== undefined && (typeof result.rows !== 'object' || result.rows === null)) return '`rows` that is not an object of tables';
  for (const table in result.rows) {
    const value = result.rows[table];
    if (Array.isArray(value) ? value.some(notARow) : notARow(value)) return `a row for ${table} that is not an object`;
  }
  if (result.copies !== undefined && (!Array.isArray(result.copies) || result.copies.some((c) => typeof c?.from !== 'string' || typeof c?.to !== 'string'))) {
    return '`copies` that is not a list of { from, to } paths';
  }
  return null;
}

const UNSTORABLE = Symbol('unstorable');

/**
 * One mapped value as SQLite takes it: objects and arrays as JSON text,
 * booleans as 0/1, Dates as ISO-8601. NaN is refused because SQLite would
 * store it as NULL: a silent loss.
 */
function toSqlValue(value: unknown): SqlValue | typeof UNSTORABLE {
  switch (typeof value) {
    case 'string':
    case 'bigint':
      return value;
    case 'number':
      return Number.isNaN(value) ? UNSTORABLE : value;
    case 'boolean':
      return value ? 1 : 0;
    case 'object':
      if (value === null || value instanceof Uint8Array) return value;
      if (isJsonText(value)) return value.text;
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? UNSTORABLE : value.toISOString();
      return safeJson(value) ?? UNSTORABLE;
    default:
      return UNSTORABLE;
  }
}

function unstorableReason(column: string, value: unknown): string {
  if (typeof value === 'number') return `column ${column}: NaN cannot be stored (SQLite would turn it into NULL)`;
  if (value instanceof Date) return `column ${column}: invalid Date`;
  if (typeof value === 'object') return `column ${column}: the object cannot be stored as JSON (${jsonFailure(value)})`;
  return `column ${column}: a ${typeof value} cannot be stored`;
}

/** A whole mapped row as bindable values, or why it cannot be stored (undefined drops a column). */
export function toSqlValues(row: Record<string, unknown>): Record<string, SqlValue> | string {
  const out: Record<string, SqlValue> = {};
  for (const [column, value] of Object.entries(row)) {
    if (value === undefined) continue;
    const converted = toSqlValue(value);
    if (converted === UNSTORABLE) return unstorableReason(column, value);
    out[column] = converted;
  }
  return out;
}

/** Why JSON.stringify refuses a value: nesting deeper than the stack (a hostile or broken line), a cycle, a BigInt. */
function jsonFailure(value: unknown): string {
  try {
    JSON.stringify(value);
    return 'unknown';
  } catch (error) {
    return error instanceof RangeError ? 'nested too deeply' : 'a cycle or a BigInt inside';
  }
}

/** A rejected row with every value that cannot be written as JSON replaced by a note saying why, so the reject itself can be written. */
function storableRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    out[column] =
      typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && safeJson(value) === null ? `[not stored: ${jsonFailure(value)}]` : value;
  }
  return out;
}

function safeJson(value: unknown): string | null {
  try {
    return JSON.stringify(value) ?? null;
  } catch {
    return null;
  }
}

function notARow(row: unknown): boolean {
  return typeof row !== 'object' || row === null || Array.isArray(row);
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
