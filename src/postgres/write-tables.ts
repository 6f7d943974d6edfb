import type { ColumnInfo, TableInfo } from '../sqlite/schema-info.js';
import { appRelationFilter } from './catalog.js';
import type { PgSession } from './session.js';

/** A server column as an import or a backfill writes it. */
export interface PgWriteColumn extends ColumnInfo {
  /** The type without length, precision or scale (what a value is cast to; the column's own limits then apply on assignment). */
  baseType: string;
  /** `GENERATED ALWAYS AS IDENTITY`: a given value needs OVERRIDING SYSTEM VALUE. */
  identityAlways: boolean;
  /** The sequence behind a serial or identity column, schema-qualified, or null. */
  sequence: string | null;
}

export interface PgWriteTable extends TableInfo {
  columns: PgWriteColumn[];
  /** No rules and no row-level security: a plain COPY into it does what an INSERT would. */
  copyable: boolean;
}

/**
 * The app's tables in a store's schema, in the shape the SQLite writer
 * reads (columns, primary key, foreign keys), so the same foreign-key order
 * and the same reasons apply. cairn's own tables and other tools' history
 * tables are left out, as on SQLite.
 */
export async function readWriteTables(session: PgSession, schema: string): Promise<Map<string, PgWriteTable>> {
  const filter = appRelationFilter('c');
  const columns = await session.query<{
    table: string;
    name: string;
    type: string;
    base: string;
    notNull: boolean;
    hasDefault: boolean;
    pk: number;
    generated: boolean;
    identity: string;
    sequence: string | null;
    copyable: boolean;
  }>(
    `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, format_type(a.atttypid, NULL) AS base,
       a.attnotnull AS "notNull", a.atthasdef AS "hasDefault", coalesce(array_position(pk.conkey, a.attnum), 0) AS pk,
       a.attgenerated <> '' AS generated, a.attidentity AS identity,
       pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname) AS sequence,
       NOT c.relhasrules AND NOT c.relrowsecurity AS copyable
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
     LEFT JOIN pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped AND ${filter.relation}
     ORDER BY c.relname, a.attnum`,
    [schema],
  );
  const keys = await session.query<{ table: string; parent: string; from: string[]; to: string[]; onDelete: string }>(
    `SELECT c.relname AS table, p.relname AS parent,
       (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(f.conkey) WITH ORDINALITY AS k(n, i) JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.n) AS from,
       (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(f.confkey) WITH ORDINALITY AS k(n, i) JOIN pg_attribute a ON a.attrelid = f.confrelid AND a.attnum = k.n) AS to,
       f.confdeltype AS "onDelete"
     FROM pg_constraint f JOIN pg_class c ON c.oid = f.conrelid JOIN pg_class p ON p.oid = f.confrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE f.contype = 'f' AND n.nspname = $1 ORDER BY f.oid`,
    [schema],
  );
  const tables = new Map<string, PgWriteTable>();
  for (const c of columns) {
    let table = tables.get(c.table);
    if (!table) {
      table = { name: c.table, columns: [], primaryKey: [], foreignKeys: [], withoutRowid: false, strict: true, copyable: c.copyable };
      tables.set(c.table, table);
    }
    table.columns.push({
      name: c.name,
      type: c.type,
      baseType: c.base,
      notNull: c.notNull,
      hasDefault: c.hasDefault,
      pk: Number(c.pk),
      generated: c.generated,
      identityAlways: c.identity === 'a',
      sequence: c.sequence,
    });
  }
  for (const table of tables.values()) {
    table.primaryKey = table.columns
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
  }
  for (const k of keys) tables.get(k.table)?.foreignKeys.push({ table: k.parent, from: k.from, to: k.to, onDelete: k.onDelete });
  return tables;
}

export { findColumn } from './copy-text.js';
