import path from 'node:path';
import { readLines } from '../importers/read-lines.js';
import type { Db } from '../sqlite/db.js';
import { quoteIdent } from '../sqlite/quote.js';
import { readTableInfo } from '../sqlite/schema-info.js';
import { lineSelectSql, registerLineFunctions } from './line-format.js';
import type { SnapshotManifest } from './manifest.js';
import { numberKindOf, sameRowAcrossEngines } from './value-equality.js';

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
    const base: TableComparison = {
      table: entry.name,
      expectedRows: entry.rows,
      rows: null,
      comparedBy: 'values',
      equal: false,
      firstDifference: null,
      note: null,
    };
    const info = readTableInfo(db, entry.name);
    if (!info) {
      tables.push({ ...base, note: 'the table is not in the database' });
      continue;
    }
    const names = new Set(info.columns.filter((c) => !c.generated).map((c) => c.name));
    const absent = entry.columns.filter((c) => !names.has(c.name)).map((c) => c.name);
    const countOnlyWhy = options.countOnly?.get(entry.name) ?? (absent.length > 0 ? `not in the database: ${absent.join(', ')}` : null);
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
    const expected = readLines(path.join(dir, entry.file));
    const kinds = entry.columns.map((c) => numberKindOf(c.type));
    let line = 0;
    let rows = 0;
    let difference: TableComparison['firstDifference'] = null;
    // Both sides are read to the end, so the report gives the database's full row count.
    for (;;) {
      const a = actual.next();
      const e = expected.next();
      if (a.done && e.done) break;
      line += 1;
      if (!a.done) rows += 1;
      const actualText = a.done ? null : a.value;
      const expectedText = e.done ? null : e.value.text;
      const same =
        actualText === expectedText || (crossEngine && actualText !== null && expectedText !== null && sameRowAcrossEngines(expectedText, actualText, kinds));
      if (difference === null && !same) difference = { line, expected: shorten(expectedText), actual: shorten(actualText) };
    }
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
