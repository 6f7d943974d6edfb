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
}

/** Tables cairn owns (history, backfill state) and SQLite's internals. */
export function isInternalTable(name: string): boolean {
  return name.startsWith('sqlite_') || name.startsWith('cairn_');
}

/** The user tables of a database, each with its columns, key and foreign keys. */
export function readTables(db: Db, options: { includeInternal?: boolean } = {}): Map<string, TableInfo> {
  const rows = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").all<{ name: string; sql: string | null }>();
  const tables = new Map<string, TableInfo>();
  for (const { name, sql } of rows) {
    if (!options.includeInternal && isInternalTable(name)) continue;
    if (name.startsWith('sqlite_')) continue;
    // Virtual tables (FTS shadow tables included) are written through their owner, not directly.
    if (sql && /^\s*CREATE\s+VIRTUAL\s+TABLE/i.test(sql)) continue;
    tables.set(name, readTable(db, name, sql ?? ''));
  }
  return tables;
}

/** One table's columns, key and foreign keys; null when there is no such table. */
export function readTableInfo(db: Db, name: string): TableInfo | null {
  const row = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get<{ sql: string | null }>(name);
  return row ? readTable(db, name, row.sql ?? '') : null;
}

function readTable(db: Db, name: string, sql: string): TableInfo {
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
  return { name, columns, primaryKey, foreignKeys: [...byId.values()], withoutRowid: /\bWITHOUT\s+ROWID\s*;?\s*$/i.test(sql) };
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
