import path from 'node:path';
import { readLines } from '../importers/read-lines.js';
import { comparisonOf, countOnlyReason, LineComparer, type SnapshotComparison, type TableComparison } from '../snapshot/compare.js';
import type { SnapshotManifest } from '../snapshot/manifest.js';
import { byteOrderedColumns } from './byte-order.js';
import { sameBytesAsFile } from './compare-bytes.js';
import { inTransaction, type PgSession } from './session.js';
import { baseType, castFromLine } from './restore-plan.js';
import { LINE_SETTINGS, lineSelectPg, plainScanPg, plainSelectPg, storedColumns, valueJsonOf, type PgSnapshotColumn } from './snapshot-lines.js';
import { quotePgIdent as qi } from './target.js';

const FETCH_ROWS = 5000;

/**
 * Proves a PostgreSQL store's schema holds a snapshot's rows: each table's
 * lines rebuilt the way export writes them, beside the snapshot's, in key
 * order (one REPEATABLE READ snapshot for all tables); from the same engine
 * first as bytes (compare-bytes.ts), and line by line where they differ.
 * A snapshot from another engine is compared by value (LineComparer).
 */
export async function comparePgWithSnapshot(
  session: PgSession,
  schema: string,
  dir: string,
  manifest: SnapshotManifest,
  options: { skip?: ReadonlySet<string>; countOnly?: ReadonlyMap<string, string>; withinTransaction?: boolean } = {},
): Promise<SnapshotComparison> {
  const crossEngine = (manifest.engine ?? 'sqlite') !== 'postgres';
  // Inside a restore's own transaction (before its commit), or in a read-only one of its own.
  const within = async <T>(fn: () => Promise<T>): Promise<T> =>
    options.withinTransaction
      ? fn()
      : inTransaction(session, async () => {
          await session.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
          return fn();
        });
  return within(async () => {
    for (const setting of LINE_SETTINGS) await session.query(setting);
    const columnsOf = await storedColumns(session, schema);
    const byteOrdered = await byteOrderedColumns(session, schema);
    const tables: TableComparison[] = [];
    for (const entry of manifest.tables) {
      if (options.skip?.has(entry.name)) continue;
      const base = comparisonOf(entry);
      const target = columnsOf.get(entry.name);
      if (!target) {
        tables.push({ ...base, note: 'the table is not in the database' });
        continue;
      }
      const countOnlyWhy = countOnlyReason(entry, new Set(target.keys()), options.countOnly);
      if (countOnlyWhy) {
        const [row] = await session.query<{ n: string }>(`SELECT count(*) AS n FROM ${qi(schema)}.${qi(entry.name)}`);
        const rows = Number(row?.n ?? 0);
        tables.push({ ...base, rows, comparedBy: 'count', equal: rows === entry.rows, note: `values not compared (${countOnlyWhy})` });
        continue;
      }
      const columns = entry.columns.map((c) => target.get(c.name)!);
      // From another engine, each snapshot value is read into the column's type and written back the way export writes it,
      // so the lines compare exactly under the target's own equality (jsonb, timestamptz, numeric …).
      const canonical = crossEngine ? (lines: string[]) => underTargetTypes(session, columns, lines) : null;
      const byteOrder = byteOrdered.get(entry.name);
      const quick = crossEngine
        ? null
        : await sameBytes(session, { schema, entry, columns, byteOrder, file: path.join(dir, entry.file), justFilled: options.withinTransaction });
      if (quick) {
        tables.push({ ...base, rows: quick.rows, equal: true, firstDifference: null });
        continue;
      }
      const comparer = await compareTable(
        session,
        lineSelectPg(schema, entry.name, columns, byteOrder),
        path.join(dir, entry.file),
        new LineComparer(false, entry.columns),
        canonical,
      );
      tables.push({ ...base, rows: comparer.rows, equal: comparer.difference === null, firstDifference: comparer.difference });
    }
    return { equal: tables.every((t) => t.equal), tables };
  });
}

/**
 * The row count when the table's rows, made into lines, are the file's bytes
 * (null when not shown so). A table a restore just filled from the file holds
 * its rows in the file's order, so a plain scan, cheaper than reading the key's
 * index (1M rows: 0.9-1.1 s against 1.1-1.5 s), is tried first; if its order
 * differs, the key order is.
 */
async function sameBytes(
  session: PgSession,
  t: {
    schema: string;
    entry: SnapshotManifest['tables'][number];
    columns: PgSnapshotColumn[];
    byteOrder: ReadonlySet<string> | undefined;
    file: string;
    justFilled?: boolean;
  },
): Promise<{ rows: number } | null> {
  const selects = [t.justFilled ? plainScanPg(t.schema, t.entry.name, t.columns) : null, plainSelectPg(t.schema, t.entry.name, t.columns, t.byteOrder)];
  for (const select of selects) {
    if (!select) continue;
    const result = await sameBytesAsFile(session, select, t.entry.name, t.columns, t.file);
    if (result.equal) return result;
  }
  return null;
}

async function compareTable(
  session: PgSession,
  select: string,
  file: string,
  comparer: LineComparer,
  canonical: ((lines: string[]) => Promise<string[]>) | null,
): Promise<LineComparer> {
  const expected = readLines(file);
  const take = async (n: number): Promise<string[]> => {
    const lines: string[] = [];
    while (lines.length < n) {
      const e = expected.next();
      if (e.done) break;
      lines.push(e.value.text);
    }
    return canonical && lines.length > 0 ? canonical(lines) : lines;
  };
  if (!canonical) {
    // Nothing else runs on the session meanwhile: the server's lines can stream by COPY, paired one by one.
    for await (const line of session.copyLines(`COPY (${select}) TO STDOUT`)) {
      const e = expected.next();
      comparer.add(e.done ? null : e.value.text, line);
    }
    for (let e = expected.next(); !e.done; e = expected.next()) comparer.add(e.value.text, null);
    return comparer;
  }
  await session.query(`DECLARE cairn_compare NO SCROLL CURSOR FOR ${select}`);
  for (;;) {
    const rows = await session.query<{ line: string }>(`FETCH ${FETCH_ROWS} FROM cairn_compare`);
    const want = await take(rows.length);
    rows.forEach((row, i) => comparer.add(want[i] ?? null, row.line));
    if (rows.length < FETCH_ROWS) break;
  }
  await session.query('CLOSE cairn_compare');
  for (let rest = await take(FETCH_ROWS); rest.length > 0; rest = await take(FETCH_ROWS)) for (const line of rest) comparer.add(line, null);
  return comparer;
}

/** Snapshot lines as the target would write them: each value through its column type, then encoded as export does. */
async function underTargetTypes(session: PgSession, columns: PgSnapshotColumn[], lines: string[]): Promise<string[]> {
  const values = columns.map((c, i) => valueJsonOf(`(${castFromLine(i, c.type)})`, baseType(c.type)));
  const rows = await session.query<{ line: string }>(
    `SELECT '[' || ${values.join(" || ',' || ")} || ']' AS line FROM json_array_elements($1::json) WITH ORDINALITY AS r(j, n) ORDER BY n`,
    [`[${lines.join(',')}]`],
  );
  return rows.map((r) => r.line);
}
