import { CairnError } from '../errors.js';
import type { Db, SqlValue } from '../sqlite/db.js';
import { quoteIdent } from '../sqlite/quote.js';
import { affinityOf, readTableInfo, type TableInfo } from '../sqlite/schema-info.js';
import { parseTimeBound, TIME_COLUMN_NAMES, unixSecondsOf } from './time.js';
import { parseWhere, type WhereFilter } from './where.js';

export interface TailFilters {
  /** Exact match per column (case-insensitive for text); several values for one column match any of them. */
  match?: Record<string, readonly string[]>;
  /** Substring match per column (LIKE: case-insensitive for ASCII); several for one column must all appear. */
  contains?: Record<string, readonly string[]>;
  /** RFC 3339 or unix seconds, inclusive. */
  from?: string;
  /** RFC 3339 or unix seconds, inclusive. */
  to?: string;
  /** The column `from`/`to` apply to (default: the first of ts, timestamp, time, at, created_at, … the table has). */
  timeColumn?: string;
  /** A row matches when any one `match` or `contains` filter does, instead of all of them (`--any`). */
  any?: boolean;
  /** `column operator value` filters (`--where`, see where.ts), every one required; values are bound, never pasted into SQL. */
  where?: readonly string[];
}

/** A tail query resolved against the table: every name checked, every value bound. */
export interface TailQuery {
  table: string;
  /** The column rows are ordered and followed by: the rowid (or its INTEGER PRIMARY KEY alias), or an integer key. */
  idColumn: string;
  timeColumn: string | null;
  columns: string[];
  where: string;
  params: SqlValue[];
}

/** The id column: rowid (named by its INTEGER PRIMARY KEY alias when there is one), or a WITHOUT ROWID table's single integer key. */
function idColumnOf(info: TableInfo, explicit: string | undefined): string {
  if (explicit) return explicit;
  const pk = info.primaryKey.length === 1 ? info.columns.find((c) => c.name === info.primaryKey[0]) : undefined;
  if (pk && /^INTEGER$/i.test(pk.type.trim())) return pk.name;
  if (!info.withoutRowid) return 'rowid';
  throw new CairnError(
    'E_USAGE',
    `${info.name} is a WITHOUT ROWID table without a single INTEGER primary key, so it has no insertion order to tail; name an ever-increasing column with --id-column`,
    { table: info.name },
  );
}

export function buildTailQuery(db: Db, table: string, filters: TailFilters = {}, options: { idColumn?: string } = {}): TailQuery {
  const info = readTableInfo(db, table);
  if (!info) {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
      .all<{ name: string }>()
      .map((r) => r.name);
    throw new CairnError('E_USAGE', `no table ${JSON.stringify(table)} in ${db.file}; it has: ${tables.join(', ') || '(no tables)'}`, { table, tables });
  }
  const columns = info.columns.map((c) => c.name);
  const known = (flag: string, column: string) => {
    if (!columns.includes(column)) {
      throw new CairnError('E_USAGE', `${flag}: ${table} has no column ${JSON.stringify(column)}; its columns: ${columns.join(', ')}`, {
        flag,
        column,
        columns,
      });
    }
  };
  const idColumn = idColumnOf(info, options.idColumn);
  if (options.idColumn) known('--id-column', options.idColumn);

  const clauses: string[] = [];
  const params: SqlValue[] = [];
  // --match and --contains: all of them, or with --any one of them; the other filters always apply.
  const matching: { sql: string; params: SqlValue[] }[] = [];
  for (const [column, values] of Object.entries(filters.match ?? {})) {
    known('--match', column);
    if (values.length === 0) continue;
    // NOCASE folds ASCII only, as the log levels and names this is for are.
    matching.push({ sql: `${quoteIdent(column)} COLLATE NOCASE IN (${values.map(() => '?').join(', ')})`, params: [...values] });
  }
  for (const [column, values] of Object.entries(filters.contains ?? {})) {
    known('--contains', column);
    for (const value of values) matching.push({ sql: `${quoteIdent(column)} LIKE ? ESCAPE '\\'`, params: [likePattern(value)] });
  }
  if (matching.length > 0) {
    clauses.push(`(${matching.map((m) => m.sql).join(filters.any ? ' OR ' : ' AND ')})`);
    params.push(...matching.flatMap((m) => m.params));
  }
  for (const where of (filters.where ?? []).map(parseWhere)) {
    known('--where', where.column);
    assertFits(info, where);
    const column = quoteIdent(where.column);
    if (where.value === null) clauses.push(`${column} ${where.op}`);
    else {
      clauses.push(`${column} ${where.op} ?`);
      params.push(where.numeric ? Number(where.value) : where.value);
    }
  }
  let timeColumn: string | null = null;
  if (filters.timeColumn) {
    known('--time-column', filters.timeColumn);
    timeColumn = filters.timeColumn;
  } else {
    timeColumn = TIME_COLUMN_NAMES.find((name) => columns.includes(name)) ?? null;
  }
  if (filters.from !== undefined || filters.to !== undefined) {
    if (!timeColumn) {
      throw new CairnError(
        'E_USAGE',
        `--since/--until: ${table} has no column named ${TIME_COLUMN_NAMES.join(', ')}; name its time column with --time-column (columns: ${columns.join(', ')})`,
        {
          table,
          columns,
        },
      );
    }
    const seconds = unixSecondsOf(timeColumn);
    if (filters.from !== undefined) {
      clauses.push(`${seconds} >= ?`);
      params.push(parseTimeBound('--since', filters.from));
    }
    if (filters.to !== undefined) {
      clauses.push(`${seconds} <= ?`);
      params.push(parseTimeBound('--until', filters.to));
    }
  }
  return { table, idColumn, timeColumn, columns, where: clauses.length ? clauses.join(' AND ') : '1', params };
}

/** A row as read, with its id under `id` kept apart (the rowid is not a column). */
export interface TailRow {
  id: number | bigint;
  values: Record<string, unknown>;
}

const ID_ALIAS = '__cairn_tail_id';

/** The last `limit` matching rows, oldest first. One short read: a writer is never kept waiting. */
export function lastRows(db: Db, query: TailQuery, limit: number): TailRow[] {
  const sql = `SELECT * FROM (SELECT ${quoteIdent(query.idColumn)} AS ${ID_ALIAS}, * FROM ${quoteIdent(query.table)} WHERE ${query.where} ORDER BY ${quoteIdent(query.idColumn)} DESC LIMIT ?) ORDER BY ${ID_ALIAS}`;
  return toRows(db.prepare(sql).all<Record<string, unknown>>(...query.params, limit));
}

/** Matching rows with an id above `after`, oldest first, at most `limit`. */
export function rowsAfter(db: Db, query: TailQuery, after: number | bigint, limit: number): TailRow[] {
  const sql = `SELECT ${quoteIdent(query.idColumn)} AS ${ID_ALIAS}, * FROM ${quoteIdent(query.table)} WHERE ${quoteIdent(query.idColumn)} > ? AND (${query.where}) ORDER BY ${quoteIdent(query.idColumn)} LIMIT ?`;
  return toRows(db.prepare(sql).all<Record<string, unknown>>(after, ...query.params, limit));
}

/** The highest id in the table, matching or not: where following starts when nothing matched yet. */
export function maxId(db: Db, query: TailQuery): number | bigint {
  const row = db.prepare(`SELECT max(${quoteIdent(query.idColumn)}) AS id FROM ${quoteIdent(query.table)}`).get<{ id: number | bigint | null }>();
  return row?.id ?? 0;
}

function toRows(raw: Record<string, unknown>[]): TailRow[] {
  return raw.map((r) => {
    const { [ID_ALIAS]: id, ...values } = r;
    return { id: id as number | bigint, values };
  });
}

/** A LIKE pattern finding `text` anywhere, its own % and _ taken literally (ESCAPE '\\'). */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

/**
 * SQLite compares a number column with text that is not a number without
 * complaint (text sorts after every number), so `duration_ms > soon` would
 * match nothing, silently. Such a value is refused, as a server refuses it.
 */
function assertFits(info: TableInfo, where: WhereFilter): void {
  const column = info.columns.find((c) => c.name === where.column)!;
  const affinity = affinityOf(column.type);
  if (where.value === null || where.op.endsWith('LIKE') || !['INTEGER', 'REAL', 'NUMERIC'].includes(affinity)) return;
  if (where.value.trim() !== '' && Number.isFinite(Number(where.value))) return;
  throw new CairnError(
    'E_USAGE',
    `--where: ${info.name}.${where.column} holds numbers (${column.type}), and ${JSON.stringify(where.value)} is not one; give a number`,
    { column: where.column, value: where.value },
  );
}
