import { tokenize } from '../lint/statement.js';
import type { Db } from '../sqlite/db.js';
import { foreignKeyOrder, isInternalTable, readTables } from '../sqlite/schema-info.js';
import { FOREIGN_HISTORY_TABLES } from '../migrations/foreign-tables.js';

/** One schema object as sqlite_master keeps it. */
export interface SchemaObject {
  type: 'table' | 'index' | 'view' | 'trigger';
  name: string;
  tbl_name: string;
  sql: string;
}

/**
 * The app's schema as DDL that re-creates it on an empty database, in an
 * order every object's dependencies come first in: tables parents first,
 * then indexes, views (each after the views it reads), triggers last (an
 * INSTEAD OF trigger sits on a view). Each statement is sqlite_master's own
 * text, so ALTERs and renames come out exactly as SQLite applied them.
 *
 * Left out: cairn's tables and SQLite's (sqlite_sequence is re-created by
 * the first AUTOINCREMENT table), the shadow tables of a virtual table (its
 * CREATE VIRTUAL TABLE makes them), automatic indexes (no SQL), and the
 * history tables of other migration tools.
 */
export function schemaDump(db: Db): SchemaObject[] {
  const shadow = new Set(
    db
      .prepare("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow'")
      .all<{ name: string }>()
      .map((r) => r.name.toLowerCase()),
  );
  const skip = (name: string): boolean => isInternalTable(name) || shadow.has(name.toLowerCase()) || FOREIGN_HISTORY_TABLES.has(name.toLowerCase());
  const objects = db
    .prepare('SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid')
    .all<SchemaObject>()
    .filter((o) => !skip(o.name) && !skip(o.tbl_name));

  const tableOrder = new Map(foreignKeyOrder(readTables(db)).map((name, i) => [name.toLowerCase(), i]));
  const rank = (o: SchemaObject): number => tableOrder.get(o.name.toLowerCase()) ?? Number.MAX_SAFE_INTEGER;
  // Virtual tables have no foreign keys: they keep their sqlite_master place after the ordinary tables.
  const tables = objects.filter((o) => o.type === 'table').sort((a, b) => rank(a) - rank(b));
  const indexes = objects.filter((o) => o.type === 'index');
  const views = viewOrder(objects.filter((o) => o.type === 'view'));
  const triggers = objects.filter((o) => o.type === 'trigger');
  return [...tables, ...indexes, ...views, ...triggers];
}

/** Views ordered so each comes after every view its SELECT names (sqlite_master order among equals). */
function viewOrder(views: SchemaObject[]): SchemaObject[] {
  const byName = new Map(views.map((v) => [v.name.toLowerCase(), v]));
  const out: SchemaObject[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (view: SchemaObject): void => {
    const key = view.name.toLowerCase();
    if (state.get(key)) return; // done, or a cycle SQLite would refuse to run anyway
    state.set(key, 'visiting');
    const body = tokenize(view.sql);
    const asAt = body.findIndex((t) => t.type === 'word' && t.value === 'as');
    for (const token of body.slice(asAt + 1)) {
      if (token.type !== 'word' && token.type !== 'name') continue;
      const dependency = byName.get(token.value.toLowerCase());
      if (dependency && dependency !== view) visit(dependency);
    }
    state.set(key, 'done');
    out.push(view);
  };
  for (const view of views) visit(view);
  return out;
}

/** The dump as a SQL file's text: one statement a paragraph, each ending in `;`. */
export function dumpText(objects: readonly SchemaObject[]): string {
  return objects.map((o) => `${o.sql.trim()};\n`).join('\n');
}
