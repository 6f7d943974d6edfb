import { errorMessage } from '../errors.js';
import type { Db } from '../sqlite/db.js';
import { openBetterSqlite3 } from '../sqlite/driver-better-sqlite3.js';
import { brokenDependents } from '../sqlite/dependents.js';
import { readTableInfo, readTables, type TableInfo } from '../sqlite/schema-info.js';

interface SchemaRow {
  type: 'table' | 'index' | 'view' | 'trigger';
  name: string;
  sql: string;
}

/**
 * An in-memory database holding only a schema: the store's, copied from its
 * file, or the one the migrations build. The lint runs each migration
 * statement here first, so SQLite itself says whether it fails, and the
 * rules read the schema as it stands at that statement. No row of the
 * store is ever copied; ATTACH, VACUUM and pragmas never run here.
 */
export class Shadow {
  private constructor(readonly db: Db) {}

  static empty(foreignKeys: boolean): Shadow {
    const db = openBetterSqlite3(':memory:');
    db.exec(`PRAGMA foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
    return new Shadow(db);
  }

  /** A shadow holding `source`'s schema (tables, indexes, views, triggers), without its rows. */
  static of(source: Db, foreignKeys: boolean): Shadow {
    const shadow = Shadow.empty(foreignKeys);
    const skipped = new Set(
      source
        .prepare("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow'")
        .all<{ name: string }>()
        .map((r) => r.name),
    );
    const rows = source
      .prepare("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid")
      .all<SchemaRow>()
      .filter((r) => !skipped.has(r.name));
    const order = ['table', 'index', 'view', 'trigger'];
    for (const row of rows.sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type))) {
      // A virtual table whose module this build lacks cannot be copied; statements naming it then fail here too.
      shadow.run(row.sql);
    }
    return shadow;
  }

  /** Runs one statement; SQLite's message when it fails, else null. */
  run(sql: string): string | null {
    try {
      this.db.exec(sql);
      return null;
    } catch (error) {
      return errorMessage(error);
    }
  }

  /**
   * Compiles a statement without running it: SQLite's message for a syntax
   * error or a name it cannot resolve, else null. Data statements are only
   * compiled: they leave the schema as it is, and running a data-loading
   * migration's rows through the shadow would cost what the migration does.
   */
  compile(sql: string): string | null {
    try {
      this.db.prepare(sql);
      return null;
    } catch (error) {
      const message = errorMessage(error);
      // More than one statement in one entry (a plain file's trailing comment, say): run it to learn what it does.
      return /more than one statement/i.test(message) ? this.run(sql) : message;
    }
  }

  tables(): Map<string, TableInfo> {
    return readTables(this.db, { includeInternal: true });
  }

  table(name: string): TableInfo | null {
    return readTableInfo(this.db, name);
  }

  /** The object's name as stored (SQLite matches names case-insensitively), or null when there is none. */
  canonicalName(name: string): string | null {
    return this.db.prepare('SELECT name FROM sqlite_master WHERE name = ? COLLATE NOCASE').get<{ name: string }>(name)?.name ?? null;
  }

  /** The stored CREATE statement of an object. */
  sqlOf(name: string): string | null {
    return this.db.prepare('SELECT sql FROM sqlite_master WHERE name = ? COLLATE NOCASE').get<{ sql: string | null }>(name)?.sql ?? null;
  }

  /** Views and triggers that no longer compile (see sqlite/dependents.ts). */
  brokenDependents(): Map<string, string> {
    return brokenDependents(this.db);
  }

  /**
   * Whether `ALTER TABLE … ADD COLUMN definition` works on a table that has
   * rows: SQLite only refuses a NOT NULL column without a default, or a
   * non-constant default, when the table is not empty, so an empty dev
   * database passes what every user's database fails. Tried on a one-row
   * scratch table; SQLite's message, or null.
   */
  addColumnOnRows(definition: string): string | null {
    this.db.exec('CREATE TEMP TABLE cairn_lint_probe (cairn_lint_probe_x); INSERT INTO temp.cairn_lint_probe VALUES (1)');
    try {
      return this.run(`ALTER TABLE temp.cairn_lint_probe ADD COLUMN ${definition}`);
    } finally {
      this.db.exec('DROP TABLE temp.cairn_lint_probe');
    }
  }

  close(): void {
    this.db.close();
  }
}
