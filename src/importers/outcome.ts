/**
 * What a batch writer works with and reports, whichever engine it writes to:
 * rows packed per table, rows it could not write, and counts per table.
 */
import type { SqlValue } from '../sqlite/db.js';
import { foreignKeyOrder, type TableInfo } from '../sqlite/schema-info.js';

export type WriteMode = 'insert' | 'upsert';

export interface TableCounts {
  inserted: number;
  alreadyPresent: number;
  updated: number;
  rejected: number;
}

/** Rows of one table with the same columns, packed flat (see produce.ts). */
export interface WriteGroup {
  table: string;
  columns: string[];
  values: SqlValue[];
  /** Per row, a tag the caller turns into an origin (originOf). */
  origins: number[];
  /** The rows already as COPY text, when the thread that produced them encoded them for a server store. */
  copy?: EncodedRows;
}

/**
 * A group's rows as COPY text (postgres/copy-text.ts): the lines (UTF-8
 * bytes when made on a worker, so they cross threads without a copy), the
 * row behind each, and the rows no column could hold.
 */
export interface EncodedRows {
  text: string | Uint8Array;
  kept: number[];
  rejects: [number, string][];
}

/** A row the writer could not write, or held back, with its origin resolved. */
export interface WrittenRow<O> {
  table: string;
  columns: string[];
  params: SqlValue[];
  origin: O;
}

export type RejectSink<O> = (row: WrittenRow<O>, reason: string) => void;

/** The row as an object, for the rejects file. */
export function rowObject(row: { columns: string[]; params: SqlValue[] }): Record<string, SqlValue> {
  return Object.fromEntries(row.columns.map((c, i) => [c, row.params[i] as SqlValue]));
}

/** What one batch did, before it is published: counts per table, rows rejected, rows held back for a parent. */
export interface Outcome<O> {
  counts: Map<string, TableCounts>;
  rejects: [WrittenRow<O>, string][];
  deferred: WrittenRow<O>[];
}

export function countsFor(map: Map<string, TableCounts>, table: string): TableCounts {
  let counts = map.get(table);
  if (!counts) {
    counts = { inserted: 0, alreadyPresent: 0, updated: 0, rejected: 0 };
    map.set(table, counts);
  }
  return counts;
}

export function unpack<O>(group: WriteGroup, originOf: (tag: number) => O): WrittenRow<O>[] {
  const width = group.columns.length;
  return group.origins.map((tag, r) => ({
    table: group.table,
    columns: group.columns,
    params: group.values.slice(r * width, (r + 1) * width),
    origin: originOf(tag),
  }));
}

export function merge<O>(into: Outcome<O>, from: Outcome<O>): void {
  for (const [table, delta] of from.counts) {
    const c = into.counts.get(table) ?? { inserted: 0, alreadyPresent: 0, updated: 0, rejected: 0 };
    c.inserted += delta.inserted;
    c.alreadyPresent += delta.alreadyPresent;
    c.updated += delta.updated;
    into.counts.set(table, c);
  }
  into.rejects.push(...from.rejects);
  into.deferred.push(...from.deferred);
}

/**
 * What a writer keeps across batches, the same on either engine: totals
 * per table (published only once a batch commits), rows held back for a
 * parent not yet written, and the tables' foreign-key order.
 */
export class WriterLedger<O> {
  private readonly order: Map<string, number>;
  private readonly totals = new Map<string, TableCounts>();
  /** Rows whose parent had not arrived; `finish()` retries them. */
  deferred: WrittenRow<O>[] = [];

  constructor(private readonly tables: ReadonlyMap<string, TableInfo>) {
    this.order = new Map(foreignKeyOrder(tables as Map<string, TableInfo>).map((name, i) => [name, i]));
  }

  /** A table's place in foreign-key order (parents lower); unknown tables last. */
  rankOf(table: string): number {
    return this.order.get(table) ?? this.order.size;
  }

  /** Held-back rows, parents first, taken out of the ledger for a retry. */
  takeDeferred(): WrittenRow<O>[] {
    const pending = this.byRank(this.deferred);
    this.deferred = [];
    return pending;
  }

  byRank<R extends { table: string }>(rows: R[]): R[] {
    return rows.sort((a, b) => this.rankOf(a.table) - this.rankOf(b.table));
  }

  /** A retry of `tried` held-back rows that placed none of them: they have no parent anywhere, and are rejected saying so. */
  rejectOrphans(outcome: Outcome<O>, tried: number): boolean {
    if (outcome.deferred.length !== tried) return false;
    for (const row of outcome.deferred) outcome.rejects.push([row, this.missingParentReason(row.table)]);
    outcome.deferred = [];
    return true;
  }

  counts(): Record<string, TableCounts> {
    return Object.fromEntries([...this.totals.entries()].sort((a, b) => this.rankOf(a[0]) - this.rankOf(b[0])));
  }

  /** A committed batch's outcome into the totals; its rejects to the sink, its held-back rows kept. */
  publish(outcome: Outcome<O>, onReject: RejectSink<O>): void {
    for (const [table, delta] of outcome.counts) {
      const total = countsFor(this.totals, table);
      total.inserted += delta.inserted;
      total.alreadyPresent += delta.alreadyPresent;
      total.updated += delta.updated;
    }
    for (const [row, reason] of outcome.rejects) {
      countsFor(this.totals, row.table).rejected += 1;
      onReject(row, reason);
    }
    for (const row of outcome.deferred) this.deferred.push(row);
  }

  private missingParentReason(table: string): string {
    const parents = (this.tables.get(table)?.foreignKeys ?? []).map((fk) => `${fk.table}(${fk.to.join(', ') || 'primary key'}) via ${fk.from.join(', ')}`);
    return `FOREIGN KEY constraint failed: no parent row in ${parents.join(' or ') || 'a referenced table'}, in the target or anywhere in the input`;
  }
}
