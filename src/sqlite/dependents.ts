import { errorMessage } from '../errors.js';
import type { Db } from './db.js';
import { quoteIdent } from './quote.js';

interface DependentRow {
  type: 'view' | 'trigger';
  name: string;
  tbl_name: string;
  sql: string;
}

/**
 * Views and triggers that no longer compile, each with SQLite's reason, as
 * `view v` / `trigger t`: SQLite lets a DROP TABLE or a rename with
 * legacy_alter_table leave them pointing at nothing, and they then fail on
 * every use. Preparing (never running) a statement that reads the view, or
 * that fires the trigger, compiles it.
 */
export function brokenDependents(db: Db): Map<string, string> {
  const broken = new Map<string, string>();
  const rows = db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('view', 'trigger') AND sql IS NOT NULL").all<DependentRow>();
  for (const row of rows) {
    const probe = row.type === 'view' ? `SELECT * FROM ${quoteIdent(row.name)} LIMIT 0` : triggerProbe(db, row);
    if (!probe) continue;
    try {
      db.prepare(probe);
    } catch (error) {
      broken.set(`${row.type} ${row.name}`, errorMessage(error));
    }
  }
  return broken;
}

/** A statement that fires the trigger (an UPDATE sets every column, so `UPDATE OF` triggers compile too). */
function triggerProbe(db: Db, row: DependentRow): string | null {
  const table = quoteIdent(row.tbl_name);
  const event = /\b(insert|update|delete)\b/i.exec(row.sql.replace(/^[\s\S]*?\btrigger\b/i, ''))?.[1]?.toLowerCase();
  if (event === 'delete') return `DELETE FROM ${table}`;
  if (event === 'insert') return `INSERT INTO ${table} DEFAULT VALUES`;
  if (event !== 'update') return null;
  const columns = db
    .prepare(`SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0`)
    .all<{ name: string }>(row.tbl_name)
    .map((c) => `${quoteIdent(c.name)} = ${quoteIdent(c.name)}`);
  return columns.length > 0 ? `UPDATE ${table} SET ${columns.join(', ')}` : null;
}
