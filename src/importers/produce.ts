import path from 'node:path';
import { errorMessage } from '../errors.js';
import type { SqlValue } from '../sqlite/db.js';
import type { ImportPlan, MapContext, MapFn, MapResult, RecordOrigin, SourceRecord } from './define.js';
import { readSource, type ResolvedSource, type SourceItem } from './sources.js';

/** A row on its way to the writer; `origin` indexes the batch's origins. */
export interface PendingRow {
  table: string;
  values: Record<string, SqlValue>;
  origin: number;
}

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
  origins: RecordOrigin[];
  rows: PendingRow[];
  copies: PendingCopy[];
  rejects: RejectEntry[];
  /** Per source: records read, and records the mapper skipped on purpose. */
  records: Record<string, number>;
  skipped: Record<string, number>;
  bytes: number;
}

function emptyBatch(): Batch {
  return { origins: [], rows: [], copies: [], rejects: [], records: {}, skipped: {}, bytes: 0 };
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
  let batch = emptyBatch();
  let items = 0;
  for (const source of sources) {
    const map = mapperFor(plan, source.name);
    for (const item of readSource(source, (n) => (batch.bytes += n))) {
      items += 1;
      handleItem(batch, item, map, context);
      if (batch.rows.length >= batchRows || items >= batchRows * 4) {
        yield batch;
        batch = emptyBatch();
        items = 0;
      }
    }
  }
  yield batch;
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

function handleItem(batch: Batch, item: SourceItem, map: MapFn | null, context: MapContext): void {
  if (item.kind === 'reject') {
    const { kind: _kind, origin, ...rest } = item;
    bump(batch.records, origin.source);
    batch.rejects.push({ ...origin, ...rest });
    return;
  }
  const { record, raw } = item;
  const { value: _value, ...origin } = record;
  bump(batch.records, record.source);
  if (!map) {
    batch.rejects.push({ ...origin, reason: `the plan has no map for source ${JSON.stringify(record.source)}`, raw: raw ?? safeJson(record.value) });
    return;
  }
  let result: MapResult | null | undefined;
  try {
    result = map(record as SourceRecord, context);
  } catch (error) {
    batch.rejects.push({ ...origin, reason: `map threw: ${errorMessage(error)}`, raw: raw ?? safeJson(record.value) });
    return;
  }
  if (result === null || result === undefined) {
    bump(batch.skipped, record.source);
    return;
  }
  const problem = checkResult(result);
  if (problem) {
    batch.rejects.push({ ...origin, reason: `map returned ${problem}`, raw: raw ?? safeJson(record.value) });
    return;
  }
  const index = batch.origins.push(origin) - 1;
  const rows: PendingRow[] = [];
  for (const [table, value] of Object.entries(result.rows ?? {})) {
    for (const row of Array.isArray(value) ? value : [value]) {
      const converted = toSqlValues(row as Record<string, unknown>);
      if (typeof converted === 'string') {
        batch.rejects.push({ ...origin, table, reason: converted, row: row as Record<string, unknown> });
        continue;
      }
      rows.push({ table, values: converted, origin: index });
    }
  }
  batch.rows.push(...rows);
  for (const copy of result.copies ?? []) {
    batch.copies.push({ from: path.resolve(context.from, copy.from), to: path.resolve(context.home, copy.to), label: copy.label ?? 'files', origin: index });
  }
}

function checkResult(result: MapResult): string | null {
  if (typeof result !== 'object') return `a ${typeof result}; expected { rows, copies } or null`;
  const extra = Object.keys(result).filter((k) => k !== 'rows' && k !== 'copies');
  if (extra.length > 0) return `unknown key(s) ${extra.join(', ')}; expected { rows: { table: row | row[] }, copies: [{ from, to }] }`;
  if (result.rows !== undefined && (typeof result.rows !== 'object' || result.rows === null)) return '`rows` that is not an object of tables';
  for (const [table, value] of Object.entries(result.rows ?? {})) {
    const list = Array.isArray(value) ? value : [value];
    if (list.some((r) => typeof r !== 'object' || r === null || Array.isArray(r))) return `a row for ${table} that is not an object`;
  }
  if (result.copies !== undefined && (!Array.isArray(result.copies) || result.copies.some((c) => typeof c?.from !== 'string' || typeof c?.to !== 'string'))) {
    return '`copies` that is not a list of { from, to } paths';
  }
  return null;
}

/**
 * Converts a mapped row to bindable values, or says why it cannot be. NaN is
 * refused because SQLite would store it as NULL: a silent loss.
 */
export function toSqlValues(row: Record<string, unknown>): Record<string, SqlValue> | string {
  const out: Record<string, SqlValue> = {};
  for (const [column, value] of Object.entries(row)) {
    if (value === undefined) continue;
    if (value === null || typeof value === 'string' || typeof value === 'bigint') out[column] = value;
    else if (typeof value === 'number') {
      if (Number.isNaN(value)) return `column ${column}: NaN cannot be stored (SQLite would turn it into NULL)`;
      out[column] = value;
    } else if (typeof value === 'boolean') out[column] = value ? 1 : 0;
    else if (value instanceof Uint8Array) out[column] = value;
    else if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) return `column ${column}: invalid Date`;
      out[column] = value.toISOString();
    } else if (typeof value === 'object') {
      const json = safeJson(value);
      if (json === null) return `column ${column}: the object cannot be stored as JSON (a cycle or a BigInt inside)`;
      out[column] = json;
    } else return `column ${column}: a ${typeof value} cannot be stored`;
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

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
