import type { PgSession } from './session.js';
import { quotePgIdent as qi } from './target.js';

/**
 * The snapshot's row format (snapshot/line-format.ts) written by a
 * PostgreSQL server: one JSON array per row, built by the server as text so
 * every value keeps its exact digits, typed as a SQLite export types them:
 *
 *   smallint … bigint      1, 9223372036854775807 (exact)
 *   real, double precision 1.0, 0.1, 1e+300, -0.0, 5e-324 (always a point or an exponent,
 *                          shortest text that round-trips: extra_float_digits = 1);
 *                          ±Infinity as ±9.0e+999, as SQLite writes them
 *   numeric                its exact decimal text as a JSON number (123.4500)
 *   boolean                1 / 0, what SQLite stores for one
 *   bytea                  {"$base64":true,"encoded":"…"}
 *   anything else          its text as a JSON string: text, json and jsonb (kept as text), times
 *                          (ISO, UTC), uuid, arrays, enums …
 *
 * NaN has no place in the format (SQLite cannot store it): the export
 * refuses a table holding one, naming the column (see nanCheckSql).
 */
export interface PgSnapshotColumn {
  name: string;
  /** format_type(): `bigint`, `double precision`, `numeric(10,2)` … */
  type: string;
  notNull: boolean;
  /** 1-based position in the primary key, 0 when not part of it. */
  pk: number;
}

/** The session settings the text of dates, times and floats depends on. */
export const LINE_SETTINGS = [
  "SET LOCAL DateStyle = 'ISO, YMD'",
  "SET LOCAL TimeZone = 'UTC'",
  "SET LOCAL IntervalStyle = 'postgres'",
  'SET LOCAL extra_float_digits = 1',
  "SET LOCAL bytea_output = 'hex'",
];

export type SnapshotKind = 'integer' | 'float' | 'numeric' | 'boolean' | 'bytea' | 'text';

/** How a column of this type is written in a line (see the table above). */
export function snapshotKind(type: string): SnapshotKind {
  if (/^(smallint|integer|bigint|oid)$/.test(type)) return 'integer';
  if (/^(real|double precision)$/.test(type)) return 'float';
  if (/^numeric\b/.test(type)) return 'numeric';
  if (type === 'boolean') return 'boolean';
  if (type === 'bytea') return 'bytea';
  return 'text';
}

/** The SQL text expression giving one column's value as JSON text. */
export function valueJson(column: Pick<PgSnapshotColumn, 'name' | 'type'>): string {
  return valueJsonOf(qi(column.name), column.type);
}

/** The same for any expression of that type (a snapshot value cast into the column's type, when comparing under it). */
export function valueJsonOf(c: string, type: string): string {
  switch (snapshotKind(type)) {
    case 'integer':
      return `coalesce(${c}::text, 'null')`;
    case 'float':
      return `CASE WHEN ${c} IS NULL THEN 'null' WHEN ${c} = 'Infinity' THEN '9.0e+999' WHEN ${c} = '-Infinity' THEN '-9.0e+999'
        WHEN ${c}::text ~ '[.e]' THEN ${c}::text ELSE ${c}::text || '.0' END`;
    case 'numeric':
      return `CASE WHEN ${c} IS NULL THEN 'null' WHEN ${c}::text = 'Infinity' THEN '9.0e+999' WHEN ${c}::text = '-Infinity' THEN '-9.0e+999' ELSE ${c}::text END`;
    case 'boolean':
      return `CASE WHEN ${c} THEN '1' WHEN NOT ${c} THEN '0' ELSE 'null' END`;
    case 'bytea':
      return `CASE WHEN ${c} IS NULL THEN 'null' ELSE '{"$base64":true,"encoded":"' || translate(encode(${c}, 'base64'), E'\\n', '') || '"}' END`;
    case 'text':
      return `coalesce(to_json(${c}::text)::text, 'null')`;
  }
}

/**
 * The primary key's columns in key order, text ones in byte order (as SQLite's
 * BINARY sorts them, whatever the database's collation), so a snapshot's lines
 * come in the same order from either engine. `byteOrdered` names the columns
 * whose own collation already sorts that way (byte-order.ts): they need no
 * COLLATE, so the key's index gives the order.
 */
function keyOrder(columns: readonly PgSnapshotColumn[], byteOrdered: ReadonlySet<string>): string[] {
  return columns
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => (/^(text|character varying|character|name)\b/.test(c.type) && !byteOrdered.has(c.name) ? `${qi(c.name)} COLLATE "C"` : qi(c.name)));
}

const NONE: ReadonlySet<string> = new Set();

/** One line per row, in primary-key order (a table without one: by the line itself, byte order). */
export function lineSelectPg(schema: string, table: string, columns: readonly PgSnapshotColumn[], byteOrdered = NONE): string {
  const line = `'[' || ${columns.map(valueJson).join(" || ',' || ")} || ']'`;
  const keys = keyOrder(columns, byteOrdered);
  const from = `${qi(schema)}.${qi(table)}`;
  if (keys.length > 0) return `SELECT ${line} AS line FROM ${from} ORDER BY ${keys.join(', ')}`;
  return `SELECT line FROM (SELECT ${line} AS line FROM ${from}) rows ORDER BY line COLLATE "C"`;
}

/**
 * The plain columns in primary-key order, for CopyTextToLines to make the
 * lines of; null for a table without a key, whose order is that of the
 * lines themselves, so only the server-built lines can give it.
 */
export function plainSelectPg(schema: string, table: string, columns: readonly PgSnapshotColumn[], byteOrdered = NONE): string | null {
  const keys = keyOrder(columns, byteOrdered);
  if (keys.length === 0) return null;
  return `${plainScanPg(schema, table, columns)} ORDER BY ${keys.join(', ')}`;
}

/** The plain columns in the order the table's pages hold them (no ORDER BY: a sequential scan, no index). */
export function plainScanPg(schema: string, table: string, columns: readonly PgSnapshotColumn[]): string {
  // A text-kind column through ::text as valueJsonOf reads it: for char(n), inet and cidr the cast is not the output function.
  const plain = columns.map((c) => (snapshotKind(c.type) === 'text' ? `${qi(c.name)}::text` : qi(c.name)));
  return `SELECT ${plain.join(', ')} FROM ${qi(schema)}.${qi(table)}`;
}

/** A query giving, for the first float or numeric column holding NaN in `table`, the column and that row's key (no row: none does). */
export function nanCheckSql(schema: string, table: string, columns: readonly PgSnapshotColumn[]): string | null {
  const checks = columns.filter((c) => snapshotKind(c.type) === 'float' || snapshotKind(c.type) === 'numeric');
  if (checks.length === 0) return null;
  const keys = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  const key = keys.length > 0 ? `concat_ws(', ', ${keys.map((k) => `${qi(k.name)}::text`).join(', ')})` : 'NULL::text';
  return checks
    .map((c) => `(SELECT '${c.name.replace(/'/g, "''")}' AS column, ${key} AS key FROM ${qi(schema)}.${qi(table)} WHERE ${qi(c.name)} = 'NaN' LIMIT 1)`)
    .join(' UNION ALL ');
}

/** Each table's stored columns in table order (generated ones left out), with their types and key positions. */
export async function storedColumns(session: PgSession, schema: string): Promise<Map<string, Map<string, PgSnapshotColumn>>> {
  const rows = await session.query<{ table: string; name: string; type: string; notnull: boolean; pk: number }>(
    `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
       coalesce(array_position(k.conkey, a.attnum), 0) AS pk
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
     LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p'
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
     ORDER BY c.relname, a.attnum`,
    [schema],
  );
  const out = new Map<string, Map<string, PgSnapshotColumn>>();
  for (const r of rows) {
    const table = out.get(r.table) ?? new Map<string, PgSnapshotColumn>();
    table.set(r.name, { name: r.name, type: r.type, notNull: r.notnull, pk: Number(r.pk) });
    out.set(r.table, table);
  }
  return out;
}
