/**
 * What a batch writer works with and reports, whichever engine it writes to:
 * rows packed per table, rows it could not write, and counts per table.
 */
import type { SqlValue } from '../sqlite/db.js';

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
