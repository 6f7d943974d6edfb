import path from 'node:path';
import { readLines } from '../importers/read-lines.js';
import type { Db } from '../sqlite/db.js';
import { quoteIdent } from '../sqlite/quote.js';
import { readTableInfo } from '../sqlite/schema-info.js';
import { lineSelectSql, registerLineFunctions } from './line-format.js';
import type { SnapshotManifest } from './manifest.js';
import { numberKindOf, sameRowAcrossEngines, type NumberKind } from './value-equality.js';

export interface TableComparison {
  table: string;
  /** Rows the snapshot holds. */
  expectedRows: number;
  /** Rows the database holds (null when the table cannot be read). */
  rows: number | null;
  /** `values`: every line rebuilt from the database equals the snapshot's; `count`: only row counts could be compared. */
  comparedBy: 'values' | 'count';
  equal: boolean;
  /** The first line that differs (1-based), both versions shortened; null when equal or compared by count. */
  firstDifference: { line: number; expected: string | null; actual: string | null } | null;
  /** Why the values could not be compared, or the table is missing. */
  note: string | null;
}

export interface SnapshotComparison {
  equal: boolean;
  tables: TableComparison[];
}

/**
 * Proves a database holds a snapshot's rows: each table's lines are rebuilt
 * from the database the way export writes them and compared with the
 * snapshot's, line by line, in key order. Streaming on both sides; memory
 * does not grow with the tables. Tables in `countOnly` (columns dropped on
 * restore) can only be compared by row count.
 */
export function compareWithSnapshot(
  db: Db,
  dir: string,
  manifest: SnapshotManifest,
  options: { skip?: ReadonlySet<string>; countOnly?: ReadonlyMap<string, string> } = {},
): SnapshotComparison {
  registerLineFunctions(db);
  // A snapshot from a server prints numbers its own way: those are compared by value (value-equality.ts).
  const crossEngine = (manifest.engine ?? 'sqlite') !== 'sqlite';
  const tables: TableComparison[] = [];
  for (const entry of manifest.tables) {
    if (options.skip?.has(entry.name)) continue;
    const base = comparisonOf(entry);
    const info = readTableInfo(db, entry.name);
    if (!info) {
      tables.push({ ...base, note: 'the table is not in the database' });
      continue;
    }
    const countOnlyWhy = countOnlyReason(entry, new Set(info.columns.filter((c) => !c.generated).map((c) => c.name)), options.countOnly);
    if (countOnlyWhy) {
      const rows = countRows(db, entry.name);
      tables.push({ ...base, rows, comparedBy: 'count', equal: rows === entry.rows, note: `values not compared (${countOnlyWhy})` });
      continue;
    }
    const actual = db
      .prepare(
        lineSelectSql(
          info,
          entry.columns.map((c) => c.name),
        ),
      )
      .iterateFirst<string>();
    const { rows, difference } = pairLines(readLines(path.join(dir, entry.file)), actual, crossEngine, entry.columns);
    tables.push({ ...base, rows, equal: difference === null, firstDifference: difference });
  }
  return { equal: tables.every((t) => t.equal), tables };
}

function countRows(db: Db, table: string): number {
  return Number(db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(table)}`).get<{ n: number }>()?.n ?? 0);
}

function shorten(text: string | null): string | null {
  if (text === null) return null;
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** A table's comparison before anything is known of it. */
export function comparisonOf(entry: SnapshotManifest['tables'][number]): TableComparison {
  return { table: entry.name, expectedRows: entry.rows, rows: null, comparedBy: 'values', equal: false, firstDifference: null, note: null };
}

/** Why a table's values cannot be compared, only its row count: columns dropped on restore, or columns the database lacks. */
export function countOnlyReason(
  entry: SnapshotManifest['tables'][number],
  stored: ReadonlySet<string>,
  countOnly: ReadonlyMap<string, string> | undefined,
): string | null {
  const absent = entry.columns.filter((c) => !stored.has(c.name)).map((c) => c.name);
  return countOnly?.get(entry.name) ?? (absent.length > 0 ? `not in the database: ${absent.join(', ')}` : null);
}

/**
 * A snapshot file's lines taken beside the lines rebuilt from a database,
 * one pair at a time, both to the end (so the report gives the database's
 * full row count): keeps the first line where they differ, exactly, or by
 * value between engines (value-equality.ts). Both engines' comparisons use it.
 */
export class LineComparer {
  private readonly kinds: NumberKind[];
  private line = 0;
  rows = 0;
  difference: TableComparison['firstDifference'] = null;

  constructor(
    private readonly crossEngine: boolean,
    columns: readonly { type: string }[],
  ) {
    this.kinds = columns.map((c) => numberKindOf(c.type));
  }

  /** One more pair; null on the side that has run out. */
  add(expected: string | null, actual: string | null): void {
    this.line += 1;
    if (actual !== null) this.rows += 1;
    if (this.difference !== null || actual === expected) return;
    if (this.crossEngine && actual !== null && expected !== null && sameRowAcrossEngines(expected, actual, this.kinds)) return;
    this.difference = { line: this.line, expected: shorten(expected), actual: shorten(actual) };
  }
}

function pairLines(expected: Iterator<{ text: string }>, actual: Iterator<string>, crossEngine: boolean, columns: readonly { type: string }[]): LineComparer {
  const comparer = new LineComparer(crossEngine, columns);
  for (;;) {
    const a = actual.next();
    const e = expected.next();
    if (a.done && e.done) return comparer;
    comparer.add(e.done ? null : e.value.text, a.done ? null : a.value);
  }
}
