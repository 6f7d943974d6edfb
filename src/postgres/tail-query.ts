import { CairnError, errorMessage } from '../errors.js';
import { parseTimeBound, TIME_COLUMN_NAMES } from '../tail/time.js';
import { likePattern, type TailFilters, type TailQuery, type TailRow } from '../tail/query.js';
import { parseWhere } from '../tail/where.js';
import type { PgSession } from './session.js';
import { quotePgIdent as qi } from './target.js';

/**
 * `cairn tail` on a PostgreSQL store's table: the same filters and output as
 * on SQLite (tail/query.ts), every name checked against the catalog and every
 * value bound. Rows are ordered and followed by a single-column integer
 * primary key (there is no rowid), or by the column `--id-column` names.
 */
export interface PgColumn {
  name: string;
  /** pg_type.typcategory: N numeric, D date/time, S string … */
  category: string;
  type: string;
}

/** A tail query on a server: the shared shape, plus the select list that reads times as ISO 8601 text and the 64-bit columns. */
export interface PgTailQuery extends TailQuery {
  select: string;
  bigints: string[];
}

export async function buildPgTailQuery(
  session: PgSession,
  schema: string,
  table: string,
  filters: TailFilters = {},
  options: { idColumn?: string } = {},
): Promise<PgTailQuery> {
  const columns = await session.query<PgColumn & { key: boolean; keys: number }>(
    `SELECT a.attname AS name, t.typcategory AS category, format_type(a.atttypid, a.atttypmod) AS type,
       coalesce(a.attnum = ANY(k.conkey), false) AS key, coalesce(array_length(k.conkey, 1), 0) AS keys
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid JOIN pg_type t ON t.oid = a.atttypid
     LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p'
     WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [schema, table],
  );
  if (columns.length === 0) {
    const tables = await session.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm') AND c.relname NOT LIKE 'cairn\\_%' ORDER BY 1`,
      [schema],
    );
    const names = tables.map((r) => r.name);
    throw new CairnError('E_USAGE', `no table ${JSON.stringify(table)} in schema ${schema}; it has: ${names.join(', ') || '(no tables)'}`, {
      table,
      tables: names,
    });
  }
  const names = columns.map((c) => c.name);
  const known = (flag: string, column: string): PgColumn => {
    const found = columns.find((c) => c.name === column);
    if (!found) {
      throw new CairnError('E_USAGE', `${flag}: ${table} has no column ${JSON.stringify(column)}; its columns: ${names.join(', ')}`, {
        flag,
        column,
        columns: names,
      });
    }
    return found;
  };
  const idColumn = options.idColumn ? known('--id-column', options.idColumn).name : integerKey(columns, table);
  const clauses: string[] = [];
  const params: (string | number)[] = [];
  const bind = (value: string | number): string => {
    params.push(value);
    return `$${params.length}`;
  };
  // --match and --contains: all of them, or with --any one of them (the SQLite builder's rule); the other filters always apply.
  const matching: string[] = [];
  for (const [column, values] of Object.entries(filters.match ?? {})) {
    known('--match', column);
    if (values.length === 0) continue;
    // Case-insensitive like SQLite's NOCASE, for the log levels and names this is for.
    matching.push(`lower(${qi(column)}::text) IN (${values.map((v) => `lower(${bind(v)})`).join(', ')})`);
  }
  for (const [column, values] of Object.entries(filters.contains ?? {})) {
    known('--contains', column);
    for (const value of values) matching.push(`${qi(column)}::text ILIKE ${bind(likePattern(value))} ESCAPE '\\'`);
  }
  if (matching.length > 0) clauses.push(`(${matching.join(filters.any ? ' OR ' : ' AND ')})`);
  for (const where of (filters.where ?? []).map(parseWhere)) {
    const column = qi(known('--where', where.column).name);
    // The value goes as text; the server reads it as the column's type (a number for a bigint column), or refuses it.
    clauses.push(where.value === null ? `${column} ${where.op}` : `${column} ${where.op} ${bind(where.value)}`);
  }
  const timeColumn = filters.timeColumn ? known('--time-column', filters.timeColumn).name : (TIME_COLUMN_NAMES.find((n) => names.includes(n)) ?? null);
  if (filters.from !== undefined || filters.to !== undefined) {
    if (!timeColumn) {
      throw new CairnError(
        'E_USAGE',
        `--since/--until: ${table} has no column named ${TIME_COLUMN_NAMES.join(', ')}; name its time column with --time-column (columns: ${names.join(', ')})`,
        { table, columns: names },
      );
    }
    const seconds = await unixSecondsOfPg(session, known('--time-column', timeColumn));
    if (filters.from !== undefined) clauses.push(`${seconds} >= ${bind(parseTimeBound('--since', filters.from))}`);
    if (filters.to !== undefined) clauses.push(`${seconds} <= ${bind(parseTimeBound('--until', filters.to))}`);
  }
  // Times as the server writes them in ISO 8601 (the session is in UTC), not as JavaScript Dates in the local zone.
  const select = columns.map((c) => (c.category === 'D' ? `to_json(${qi(c.name)}) #>> '{}' AS ${qi(c.name)}` : qi(c.name))).join(', ');
  const bigints = columns.filter((c) => c.type === 'bigint').map((c) => c.name);
  return { table, idColumn, timeColumn, columns: names, where: clauses.length ? clauses.join(' AND ') : 'true', params, select, bigints };
}

function integerKey(columns: (PgColumn & { key: boolean; keys: number })[], table: string): string {
  const key = columns.filter((c) => c.key);
  if (key.length === 1 && key[0]!.keys === 1 && /^(smallint|integer|bigint)$/.test(key[0]!.type)) return key[0]!.name;
  throw new CairnError(
    'E_USAGE',
    `${table} has no single integer primary key, so it has no insertion order to tail; name an ever-increasing column with --id-column`,
    { table },
  );
}

/**
 * SQL giving a time column as unix seconds, whatever its type: a date/time
 * type directly (a zone-less timestamp read as UTC, as on SQLite), a number
 * in seconds, ms, µs or ns (told apart by size, as on SQLite), text that
 * reads as a time. NULL when unreadable, so such rows never match.
 */
async function unixSecondsOfPg(session: PgSession, column: PgColumn): Promise<string> {
  const c = qi(column.name);
  if (column.category === 'D') {
    return /without time zone|^date$/.test(column.type) ? `extract(epoch FROM ${c}::timestamp AT TIME ZONE 'UTC')` : `extract(epoch FROM ${c})`;
  }
  if (column.category === 'N') {
    return `(CASE WHEN abs(${c}) >= 1e17 THEN ${c} / 1e9 WHEN abs(${c}) >= 1e14 THEN ${c} / 1e6 WHEN abs(${c}) >= 1e11 THEN ${c} / 1e3 ELSE ${c} END)::float8`;
  }
  if (column.category === 'S') {
    // pg_input_is_valid (PostgreSQL 16+) keeps one unreadable value from failing the whole query; before it, a shape check.
    const [row] = await session.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`);
    const readable =
      (row?.v ?? 0) >= 160000
        ? `pg_input_is_valid(${c}, 'timestamptz')`
        : `${c} ~ '^\\d{4}-\\d{2}-\\d{2}([Tt ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?)?([Zz]|[+-]\\d{2}(:?\\d{2})?)?$'`;
    return `(CASE WHEN ${readable} THEN extract(epoch FROM (CASE WHEN ${c} ~ '([Zz]|[+-]\\d{2}(:?\\d{2})?)$' THEN ${c}::timestamptz ELSE ${c}::timestamp AT TIME ZONE 'UTC' END)) END)`;
  }
  throw new CairnError('E_USAGE', `--time-column: ${column.name} is ${column.type}, not a time, a number or text`, { column: column.name });
}

const ID_ALIAS = '__cairn_tail_id';

/** The last `limit` matching rows, oldest first: one statement, no transaction held. */
export async function lastPgRows(session: PgSession, query: PgTailQuery, limit: number): Promise<TailRow[]> {
  const id = qi(query.idColumn);
  const at = query.params.length + 1;
  const sql = `SELECT * FROM (SELECT ${id} AS ${ID_ALIAS}, ${query.select} FROM ${qi(query.table)} WHERE ${query.where} ORDER BY ${id} DESC LIMIT $${at}) last ORDER BY ${ID_ALIAS}`;
  return toRows(await session.query(sql, [...(query.params as unknown[]), limit]).catch(valueRefused), query);
}

/** Matching rows with an id above `after`, oldest first, at most `limit`. */
export async function pgRowsAfter(session: PgSession, query: PgTailQuery, after: number | bigint | string, limit: number): Promise<TailRow[]> {
  const id = qi(query.idColumn);
  const at = query.params.length + 1;
  const sql = `SELECT ${id} AS ${ID_ALIAS}, ${query.select} FROM ${qi(query.table)} WHERE ${id} > $${at} AND (${query.where}) ORDER BY ${id} LIMIT $${at + 1}`;
  return toRows(await session.query(sql, [...(query.params as unknown[]), String(after), limit]).catch(valueRefused), query);
}

/** The highest id in the table, matching or not. */
export async function pgMaxId(session: PgSession, query: TailQuery): Promise<string | number> {
  const [row] = await session.query<{ id: string | number | null }>(`SELECT max(${qi(query.idColumn)}) AS id FROM ${qi(query.table)}`);
  return row?.id ?? 0;
}

/** Rows with the id kept apart; a bigint (which the driver gives as text) as a number where it fits one exactly, as SQLite's tail gives it. */
function toRows(raw: Record<string, unknown>[], query: PgTailQuery): TailRow[] {
  const exact = (v: unknown): unknown => (typeof v === 'string' && Number.isSafeInteger(Number(v)) ? Number(v) : typeof v === 'string' ? BigInt(v) : v);
  return raw.map((r) => {
    const { [ID_ALIAS]: id, ...values } = r;
    for (const column of query.bigints) values[column] = exact(values[column]);
    return { id: exact(id) as number | bigint, values };
  });
}

/**
 * A filter value the column's type cannot read (`--where "at_ms > soon"` on
 * a bigint): the server's data exception (SQLSTATE class 22) is the user's
 * input, said as such, never "no rows".
 */
function valueRefused(error: unknown): never {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('22')) {
    throw new CairnError(
      'E_USAGE',
      `a filter value does not fit its column: ${errorMessage(error)}; check the --where values`,
      { sqlstate: code },
      { cause: error },
    );
  }
  throw error;
}
