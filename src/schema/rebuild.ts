import { CairnError, errorMessage } from '../errors.js';
import type { Db } from '../sqlite/db.js';
import { brokenDependents } from '../sqlite/dependents.js';
import { quoteIdent } from '../sqlite/quote.js';
import { foreignKeysTo, readTableInfo, readTables } from '../sqlite/schema-info.js';
import { shapeOf } from '../lint/statement.js';
import { plural } from '../words.js';

/** A table's new shape: a whole CREATE TABLE, or its parts. */
export interface RebuildSpec {
  /** The new definition as one `CREATE TABLE <the same name> (…)` statement. */
  create?: string;
  /** Or: column name → its definition (`'INTEGER NOT NULL DEFAULT 0'`), in order… */
  columns?: Record<string, string>;
  /** …table constraints (`'UNIQUE (email)'`, `'FOREIGN KEY (org) REFERENCES orgs(id)'`)… */
  constraints?: string[];
  /** …and table options (`'STRICT'`, `'WITHOUT ROWID'`). */
  options?: string;
  /** A new column's value as SQL over the old row (`{ age: 'CAST(age AS INTEGER)' }`); by default the old column of that name, else the column's default. */
  copy?: Record<string, string>;
  /** Old columns left out on purpose: their values are lost. Any other old column missing from the new shape is refused. */
  drop?: string[];
}

export interface RebuildResult {
  table: string;
  rows: number;
  added: string[];
  dropped: string[];
  /** Indexes and triggers of the table, re-created as they were. */
  recreated: string[];
}

/**
 * Rebuilds a table into a new shape by SQLite's documented procedure
 * (lang_altertable.html#otheralter): new table, copy, drop, rename, then the
 * table's indexes and triggers re-created, views checked, every foreign key
 * checked before the commit. What ALTER TABLE cannot do (change a type,
 * add or drop a constraint or a foreign key) is done this way.
 *
 * The trap it cannot fall into: with foreign keys on, DROP TABLE of the old
 * table deletes its rows first, and every child's ON DELETE CASCADE fires:
 * the children are emptied while the rebuild "succeeds". PRAGMA
 * foreign_keys = OFF is ignored inside a transaction, so it must be off
 * before the transaction begins. Called outside a transaction, this turns
 * foreign keys off, runs its own, and puts them back. Called inside one
 * (a migration), it refuses unless foreign keys are already off: cairn turns
 * them off before the transaction of a migration that rebuilds, and checks
 * every key before it commits.
 */
export function rebuildTable(db: Db, table: string, spec: RebuildSpec): RebuildResult {
  if (db.inTransaction) {
    if (Number(db.pragmaValue('foreign_keys')) === 1) {
      throw new CairnError(
        'E_USAGE',
        `rebuildTable(${table}) inside a transaction with foreign keys on would let DROP TABLE cascade into ${table}'s children (PRAGMA foreign_keys cannot change inside a transaction). In a TS migration add \`export const foreignKeys = 'off'\`; in SQL use a -- +cairn rebuild block; cairn then turns foreign keys off before the transaction and checks every key before commit.`,
        { table },
      );
    }
    return rebuildInTransaction(db, table, spec);
  }
  const foreignKeys = Number(db.pragmaValue('foreign_keys')) === 1;
  db.exec('PRAGMA foreign_keys = OFF');
  try {
    return db.withTransaction(() => {
      const result = rebuildInTransaction(db, table, spec);
      // Checked even when the caller had foreign keys off (a NO TRANSACTION migration that asked for it): the rebuilt table and the tables pointing at it.
      assertForeignKeys(db, `rebuild of ${table}`, [result.table, ...referencingTables(db, result.table)]);
      return result;
    });
  } finally {
    if (foreignKeys) db.exec('PRAGMA foreign_keys = ON');
  }
}

/** The procedure itself, inside the caller's transaction, with foreign keys off. */
function rebuildInTransaction(db: Db, table: string, spec: RebuildSpec): RebuildResult {
  const old = readTableInfo(db, table);
  if (!old) throw new CairnError('E_MIGRATION_FAILED', `cannot rebuild ${table}: there is no such table`, { table });
  const name = old.name;
  const createSql = newDefinition(name, spec);
  const temp = `cairn_rebuild_${name}`;
  const kept = db
    .prepare("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? COLLATE NOCASE AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY rowid")
    .all<{ type: string; name: string; sql: string }>(name);
  const brokenBefore = brokenDependents(db);
  const sequence = hasSequenceTable(db) ? db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').get<{ seq: number }>(name)?.seq : undefined;

  runOrExplain(db, renameInCreate(createSql, temp), `the new definition of ${name}`);
  const fresh = readTableInfo(db, temp);
  if (!fresh) throw new Error(`${temp} was not created`);
  const oldColumns = new Map(old.columns.filter((c) => !c.generated).map((c) => [c.name.toLowerCase(), c.name]));
  const newColumns = fresh.columns.filter((c) => !c.generated);
  const copy = new Map(Object.entries(spec.copy ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  for (const key of copy.keys()) {
    if (!newColumns.some((c) => c.name.toLowerCase() === key)) {
      throw new CairnError('E_MIGRATION_FAILED', `rebuild of ${name}: copy names ${key}, which the new definition does not have`, { table: name });
    }
  }
  const drop = new Set((spec.drop ?? []).map((c) => c.toLowerCase()));
  const lost = [...oldColumns.entries()].filter(([key]) => !newColumns.some((c) => c.name.toLowerCase() === key)).map(([, n]) => n);
  const unlisted = lost.filter((c) => !drop.has(c.toLowerCase()));
  if (unlisted.length > 0) {
    throw new CairnError(
      'E_MIGRATION_FAILED',
      `rebuild of ${name} leaves out ${unlisted.join(', ')}: ${unlisted.length === 1 ? 'its values' : 'their values'} would be lost. Keep ${unlisted.length === 1 ? 'it' : 'them'} in the new definition, or list ${unlisted.length === 1 ? 'it' : 'them'} in drop to accept the loss.`,
      { table: name, columns: unlisted },
    );
  }
  const targets: string[] = [];
  const sources: string[] = [];
  for (const column of newColumns) {
    const key = column.name.toLowerCase();
    const expression = copy.get(key) ?? (oldColumns.has(key) ? quoteIdent(oldColumns.get(key) as string) : null);
    if (expression === null) continue;
    targets.push(quoteIdent(column.name));
    sources.push(expression);
  }
  const before = Number(db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(name)}`).get<{ n: number }>()?.n ?? 0);
  if (targets.length > 0) {
    runOrExplain(db, `INSERT INTO ${quoteIdent(temp)} (${targets.join(', ')}) SELECT ${sources.join(', ')} FROM ${quoteIdent(name)}`, `copying ${name}'s rows`);
  } else if (before > 0) {
    runOrExplain(db, `INSERT INTO ${quoteIdent(temp)} DEFAULT VALUES`, `copying ${name}'s rows`);
  }
  const after = Number(db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(temp)}`).get<{ n: number }>()?.n ?? 0);
  if (after !== before) {
    throw new CairnError('E_MIGRATION_FAILED', `rebuild of ${name}: ${plural(before, 'row')} in, ${plural(after, 'row')} out; nothing was changed`, {
      table: name,
      before,
      after,
    });
  }

  db.exec(`DROP TABLE ${quoteIdent(name)}`);
  // A plain rename re-checks (and rewrites) every view and trigger naming the old table, which
  // is gone for this instant; the legacy rename only renames, so they simply find the new one.
  const legacy = Number(db.pragmaValue('legacy_alter_table')) === 1;
  db.exec('PRAGMA legacy_alter_table = ON');
  try {
    db.exec(`ALTER TABLE ${quoteIdent(temp)} RENAME TO ${quoteIdent(name)}`);
  } finally {
    if (!legacy) db.exec('PRAGMA legacy_alter_table = OFF');
  }
  const recreated: string[] = [];
  for (const object of kept) {
    runOrExplain(db, object.sql, `re-creating ${object.type} ${object.name}`);
    recreated.push(`${object.type} ${object.name}`);
  }
  if (sequence !== undefined) {
    // AUTOINCREMENT promises never to reuse an id: carry the high-water mark over.
    db.prepare('UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?').run(sequence, name);
    if (db.prepare('SELECT 1 FROM sqlite_sequence WHERE name = ?').get(name) === undefined) {
      db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(name, sequence);
    }
  }
  for (const [object, why] of brokenDependents(db)) {
    if (brokenBefore.has(object)) continue;
    throw new CairnError(
      'E_MIGRATION_FAILED',
      `rebuild of ${name} breaks ${object} (${why}); drop it before the rebuild and re-create it after, in the same migration`,
      { table: name, object },
    );
  }
  return {
    table: name,
    rows: after,
    added: newColumns.filter((c) => !oldColumns.has(c.name.toLowerCase())).map((c) => c.name),
    dropped: lost,
    recreated,
  };
}

/**
 * `PRAGMA foreign_key_check` over the whole database (or `tables`): the
 * violations a migration run with foreign keys off would otherwise commit.
 * Throws naming the first few.
 */
export function assertForeignKeys(db: Db, what: string, tables?: readonly string[]): void {
  const check = (table: string | null): { table: string; rowid: number | null; parent: string }[] =>
    db
      .prepare(`SELECT "table", rowid, parent FROM pragma_foreign_key_check${table === null ? '' : '(?)'} LIMIT 6`)
      .all<{ table: string; rowid: number | null; parent: string }>(...(table === null ? [] : [table]));
  const rows = tables ? tables.flatMap((t) => check(t)).slice(0, 6) : check(null);
  if (rows.length === 0) return;
  const list = rows.slice(0, 5).map((r) => `${r.table}${r.rowid === null ? '' : ` rowid ${r.rowid}`} → ${r.parent}`);
  throw new CairnError(
    'E_MIGRATION_FAILED',
    `${what} leaves rows whose foreign keys point at nothing: ${list.join(', ')}${rows.length > 5 ? ', …' : ''}. Rolled back; fix the data (or the new definition) in the migration.`,
    { violations: rows },
  );
}

function newDefinition(name: string, spec: RebuildSpec): string {
  if (spec.create) {
    const shape = shapeOf(spec.create);
    if (shape.kind !== 'create-table' || shape.name.toLowerCase() !== name.toLowerCase()) {
      throw new CairnError(
        'E_MIGRATION_FAILED',
        `rebuild of ${name}: the new definition must be CREATE TABLE ${name} (…), found ${JSON.stringify(spec.create.slice(0, 60))}`,
        {
          table: name,
        },
      );
    }
    return spec.create.trim().replace(/;\s*$/, '');
  }
  const columns = Object.entries(spec.columns ?? {});
  if (columns.length === 0) throw new CairnError('E_USAGE', `rebuild of ${name}: give the new shape as create or columns`, { table: name });
  const parts = [...columns.map(([column, definition]) => `${quoteIdent(column)} ${definition}`), ...(spec.constraints ?? [])];
  return `CREATE TABLE ${quoteIdent(name)} (${parts.join(', ')})${spec.options ? ` ${spec.options}` : ''}`;
}

/** The new definition with the table renamed (self-references keep the final name). */
function renameInCreate(sql: string, to: string): string {
  const shape = shapeOf(sql);
  if (shape.kind !== 'create-table') throw new Error('not a CREATE TABLE statement');
  return `${sql.slice(0, shape.nameAt.start)}${quoteIdent(to)}${sql.slice(shape.nameAt.end)}`;
}

/** Tables with a foreign key to `parent` (itself excluded). */
function referencingTables(db: Db, parent: string): string[] {
  return [...new Set(foreignKeysTo(readTables(db, { includeInternal: true }), parent).map((r) => r.table.name))];
}

function hasSequenceTable(db: Db): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").get() !== undefined;
}

function runOrExplain(db: Db, sql: string, what: string): void {
  try {
    db.exec(sql);
  } catch (error) {
    throw new CairnError('E_MIGRATION_FAILED', `${what} failed: ${errorMessage(error)}`, { sql }, { cause: error });
  }
}
