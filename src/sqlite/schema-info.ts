import type { Db } from './db.js';
import { quoteIdent } from './quote.js';

/** One column as `PRAGMA table_xinfo` reports it (hidden generated columns left out). */
export interface ColumnInfo {
  name: string;
  type: string;
  notNull: boolean;
  hasDefault: boolean;
  /** 1-based position in the primary key, 0 when not part of it. */
  pk: number;
  generated: boolean;
}

export interface ForeignKeyInfo {
  /** The referenced (parent) table. */
  table: string;
  from: string[];
  to: string[];
  onDelete: string;
}

export interface TableInfo {
  name: string;
  columns: ColumnInfo[];
  /** Primary-key columns in key order; empty for a table keyed only by rowid. */
  primaryKey: string[];
  foreignKeys: ForeignKeyInfo[];
  withoutRowid: boolean;
  /** A STRICT table: every column's type is enforced, and ANY columns keep values exactly as given. */
  strict: boolean;
}

/** A column's type affinity, by SQLite's documented rules (datatype3.html §3.1). */
export type Affinity = 'INTEGER' | 'TEXT' | 'BLOB' | 'REAL' | 'NUMERIC';

export function affinityOf(declaredType: string): Affinity {
  const t = declaredType.toUpperCase();
  if (t.includes('INT')) return 'INTEGER';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t.includes('BLOB') || t.trim() === '') return 'BLOB';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

/** The column keeps any value exactly as stored (no affinity conversion): untyped/BLOB columns, and ANY in a STRICT table. */
export function keepsValuesAsGiven(table: TableInfo, column: ColumnInfo): boolean {
  return affinityOf(column.type) === 'BLOB' || (table.strict && column.type.toUpperCase() === 'ANY');
}

/** Tables cairn owns (history, backfill state) and SQLite's internals. */
export function isInternalTable(name: string): boolean {
  return name.startsWith('sqlite_') || name.startsWith('cairn_');
}

/**
 * The user tables of a database, each with its columns, key and foreign keys.
 * Virtual tables and their shadow tables (an FTS index's `_data`, `_idx` …)
 * are left out: they are written through their owner, never directly.
 */
export function readTables(db: Db, options: { includeInternal?: boolean } = {}): Map<string, TableInfo> {
  const rows = db.prepare("SELECT name, type, wr, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table' ORDER BY name").all<TableListRow>();
  const tables = new Map<string, TableInfo>();
  for (const row of rows) {
    if (!options.includeInternal && isInternalTable(row.name)) continue;
    if (row.name.startsWith('sqlite_')) continue;
    tables.set(row.name, readTable(db, row));
  }
  return tables;
}

/** Virtual tables and their shadow tables: what readTables leaves out, so a snapshot can say so. */
export function readSkippedTables(db: Db): { name: string; type: 'virtual' | 'shadow' }[] {
  return db
    .prepare("SELECT name, type FROM pragma_table_list WHERE schema = 'main' AND type IN ('virtual', 'shadow') ORDER BY name")
    .all<{ name: string; type: 'virtual' | 'shadow' }>();
}

interface TableListRow {
  name: string;
  type: string;
  wr: number;
  strict: number;
}

/** One table's columns, key and foreign keys; null when there is no such table. The name matches as SQLite matches it, ignoring case. */
export function readTableInfo(db: Db, name: string): TableInfo | null {
  const row = db.prepare("SELECT name, type, wr, strict FROM pragma_table_list WHERE schema = 'main' AND name = ? COLLATE NOCASE").get<TableListRow>(name);
  return row && row.type === 'table' ? readTable(db, row) : null;
}

function readTable(db: Db, { name, wr, strict }: TableListRow): TableInfo {
  const q = quoteIdent(name);
  const columns = db
    .prepare(`PRAGMA table_xinfo(${q})`)
    .all<{ name: string; type: string; notnull: number; dflt_value: unknown; pk: number; hidden: number }>()
    // hidden 1 = virtual-table hidden column; 2/3 = generated (not insertable).
    .filter((c) => c.hidden !== 1)
    .map((c) => ({
      name: c.name,
      type: c.type,
      notNull: c.notnull === 1,
      hasDefault: c.dflt_value !== null,
      pk: c.pk,
      generated: c.hidden === 2 || c.hidden === 3,
    }));
  const primaryKey = columns
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);
  const fkRows = db
    .prepare(`PRAGMA foreign_key_list(${q})`)
    .all<{ id: number; seq: number; table: string; from: string; to: string | null; on_delete: string }>();
  const byId = new Map<number, ForeignKeyInfo>();
  for (const fk of fkRows) {
    let entry = byId.get(fk.id);
    if (!entry) {
      entry = { table: fk.table, from: [], to: [], onDelete: fk.on_delete };
      byId.set(fk.id, entry);
    }
    entry.from.push(fk.from);
    if (fk.to) entry.to.push(fk.to);
  }
  return { name, columns, primaryKey, foreignKeys: [...byId.values()], withoutRowid: wr === 1, strict: strict === 1 };
}

/** Every foreign key that points at `parent`, with the table holding it (a self-reference left out). */
export function foreignKeysTo(tables: Map<string, TableInfo>, parent: string): { table: TableInfo; fk: ForeignKeyInfo }[] {
  const out: { table: TableInfo; fk: ForeignKeyInfo }[] = [];
  for (const table of tables.values()) {
    if (table.name.toLowerCase() === parent.toLowerCase()) continue;
    for (const fk of table.foreignKeys) if (fk.table.toLowerCase() === parent.toLowerCase()) out.push({ table, fk });
  }
  return out;
}

/**
 * Tables ordered parents first, computed from the declared foreign keys, so
 * inserts never meet a missing parent and deletes can run in reverse. A
 * cycle (rare: two tables referencing each other) is broken by name order;
 * self-references are ignored, since a table cannot precede itself.
 */
export function foreignKeyOrder(tables: Map<string, TableInfo>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string): void => {
    if (state.get(name)) return;
    state.set(name, 'visiting');
    const table = tables.get(name);
    const parents = [...new Set((table?.foreignKeys ?? []).map((fk) => fk.table))].filter((p) => p !== name && tables.has(p)).sort();
    for (const parent of parents) visit(parent);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of [...tables.keys()].sort()) visit(name);
  return order;
}
