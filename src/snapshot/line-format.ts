import type { Db, SqlValue } from '../sqlite/db.js';
import { quoteIdent } from '../sqlite/quote.js';
import { keepsValuesAsGiven, type ColumnInfo, type TableInfo } from '../sqlite/schema-info.js';

/**
 * The snapshot's row format: one JSON array per line, values in the
 * manifest's column order, typed the way SQLite's own JSON functions type
 * them, so the file reads like the sqlite3 shell's `.mode json` output:
 *
 *   NULL     null
 *   INTEGER  1, 9223372036854775807      (exact, all 64 bits)
 *   REAL     1.0, 0.30000000000000004, 1.0e+300, 9.0e+999 (= Infinity)
 *            always with a point or an exponent, so it never reads as an INTEGER;
 *            enough digits to round-trip every double; -0.0 kept where the column keeps it
 *   TEXT     "any Unicode, \u0000 included"
 *   BLOB     {"$base64":true,"encoded":"AAH/"}   (sqlite-utils' convention)
 *
 * SQLite builds each line itself (json_array), which is what makes export
 * faster than reading rows into JS and stringifying them.
 */

const BASE64_FN = 'cairn_base64';
const UNBASE64_FN = 'cairn_unbase64';

/** Registers the two helpers the line SQL calls; per connection. */
export function registerLineFunctions(db: Db): void {
  db.defineFunction(BASE64_FN, (value) =>
    value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') : null,
  );
  db.defineFunction(UNBASE64_FN, (value) => (typeof value === 'string' ? Buffer.from(value, 'base64') : null));
}

/** The JSON expression for one column's value. */
function valueExpression(table: TableInfo, column: ColumnInfo): string {
  const q = quoteIdent(column.name);
  const blob = `WHEN 'blob' THEN json_object('$base64', json('true'), 'encoded', ${BASE64_FN}(${q}))`;
  // SQLite's JSON writes -0.0 as 0.0. Only a column that keeps values as given can hold -0.0
  // (REAL affinity stores it as integer 0), so only there is the sign looked at: atan2 is the
  // one built-in that tells -0.0 from 0.0.
  const negativeZero = keepsValuesAsGiven(table, column) ? `WHEN 'real' THEN CASE WHEN ${q} = 0 AND atan2(${q}, -1) < 0 THEN json('-0.0') ELSE ${q} END ` : '';
  return `CASE typeof(${q}) ${blob} ${negativeZero}ELSE ${q} END`;
}

/** `ORDER BY` for a stable, unique row order: the primary key, else the rowid. */
export function rowOrder(table: TableInfo): string {
  if (table.primaryKey.length > 0) return table.primaryKey.map(quoteIdent).join(', ');
  return 'rowid';
}

/** One row per line, in key order, for the given columns of `table`. */
export function lineSelectSql(table: TableInfo, columns: readonly string[]): string {
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  const values = columns.map((name) => {
    const column = byName.get(name);
    if (!column) throw new Error(`column ${name} is not in ${table.name}`);
    return valueExpression(table, column);
  });
  return `SELECT json_array(${values.join(', ')}) FROM ${quoteIdent(table.name)} ORDER BY ${rowOrder(table)}`;
}

/** The columns a snapshot carries: every stored column (generated ones are recomputed on insert). */
export function exportedColumns(table: TableInfo): ColumnInfo[] {
  return table.columns.filter((c) => !c.generated);
}

/**
 * An INSERT that lets SQLite read one line itself, for the rows the fast
 * path cannot type on its own: `j->>i` keeps 1 and 1.0 apart and reads every
 * 64-bit integer exactly.
 */
export function exactInsertSql(table: string, columns: readonly { name: string; index: number }[]): string {
  const values = columns.map(
    ({ index }) => `CASE json_type(j, '$[${index}]') WHEN 'object' THEN ${UNBASE64_FN}(json_extract(j, '$[${index}].encoded')) ELSE j->>${index} END`,
  );
  return `INSERT INTO ${quoteIdent(table)} (${columns.map((c) => quoteIdent(c.name)).join(', ')}) SELECT ${values.join(', ')} FROM (SELECT ? AS j)`;
}

/** An INSERT of `rows` rows at once (one `(?, …)` group each). */
export function plainInsertSql(table: string, columns: readonly { name: string }[], rows = 1): string {
  const group = `(${columns.map(() => '?').join(', ')})`;
  return `INSERT INTO ${quoteIdent(table)} (${columns.map((c) => quoteIdent(c.name)).join(', ')}) VALUES ${Array.from({ length: rows }, () => group).join(', ')}`;
}

/** Why a line could not be decoded; the caller adds the file and line. */
export class LineFormatError extends Error {}

/**
 * Decodes one line in JS (JSON.parse is the fast path) into the values for
 * `columns`, or returns null when only SQLite can type it exactly: an
 * integral number beyond 2^53, or an integral number bound for a column
 * where 1 and 1.0 stay different (TEXT affinity, or one that keeps values as
 * given). Everywhere else the column's affinity makes 1 and 1.0 the same value.
 */
export function decodeLine(text: string, width: number, columns: readonly DecodeColumn[], values: SqlValue[]): SqlValue[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new LineFormatError(`not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed)) throw new LineFormatError('expected a JSON array of column values');
  if (parsed.length !== width) throw new LineFormatError(`expected ${width} values, found ${parsed.length}`);
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i] as DecodeColumn;
    const value: unknown = parsed[column.index];
    if (value === null || typeof value === 'string') values[i] = value;
    else if (typeof value === 'number') {
      if (Number.isInteger(value) && (column.numbersAmbiguous || !Number.isSafeInteger(value))) return null;
      values[i] = value;
    } else if (isBase64(value)) values[i] = Buffer.from(value.encoded, 'base64');
    else throw new LineFormatError(`column ${column.name}: ${JSON.stringify(value)} is not a value a snapshot holds`);
  }
  return values;
}

export interface DecodeColumn {
  name: string;
  /** Position in the line. */
  index: number;
  /** A JS number here cannot say whether it was 1 or 1.0, and the column would keep the difference. */
  numbersAmbiguous: boolean;
}

function isBase64(value: unknown): value is { $base64: true; encoded: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { $base64?: unknown }).$base64 === true &&
    typeof (value as { encoded?: unknown }).encoded === 'string'
  );
}
