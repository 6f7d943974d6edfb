import fs from 'node:fs';
import type { Db } from '../sqlite/db.js';
import { quoteIdent } from '../sqlite/quote.js';
import { foreignKeysTo } from '../sqlite/schema-info.js';
import type { Migration, MigrationStatement } from '../migrations/types.js';
import { errorMessage } from '../errors.js';
import { rebuildTable } from '../schema/rebuild.js';
import { emptyMigrationFinding } from './empty.js';
import { Shadow } from './shadow.js';
import { shapeOf, type StatementShape } from './statement.js';
import type { LintFinding, LintRule, LintSeverity } from './types.js';

export interface LintInput {
  /** The files to lint, in the order they would run. */
  migrations: readonly Migration[];
  /**
   * The schema they run on: a store's database (its schema is copied into
   * memory; its rows are only read, to tell whether a table has any or a
   * new unique index meets duplicates), or null for an empty one.
   */
  database: Db | null;
  /** Statements that run first on an empty schema (a fresh database's baseline). */
  baseline?: readonly MigrationStatement[];
  /** The store turns foreign keys on (cairn's default): a DROP then cascades. */
  foreignKeys: boolean;
}

/**
 * Lints migrations against the schema they will meet: each Up statement is
 * judged, then run, in an in-memory copy of the schema (shadow.ts), so every
 * rule sees the tables as they stand at that statement and SQLite itself
 * says whether a DDL statement fails. Down sections are judged against the
 * schema their Up leaves, at warning level only (they run rarely, by hand).
 */
export function lintMigrations(input: LintInput): LintFinding[] {
  const shadow = input.database ? Shadow.of(input.database, input.foreignKeys) : Shadow.empty(input.foreignKeys);
  try {
    for (const statement of input.baseline ?? []) shadow.run(statement.sql);
    const findings: LintFinding[] = [];
    // A TS/JS migration is code: it is not linted, and the shadow no longer knows the schema after it.
    let schemaKnown = true;
    for (const migration of input.migrations) {
      if (migration.format === 'module') {
        schemaKnown = false;
        continue;
      }
      const empty = emptyMigrationFinding(migration);
      if (empty) findings.push(empty);
      const lines = readLines(migration.path);
      if (migration.down && migration.down.length > 0) {
        // The Down runs against what the Up leaves: lint it on a copy made after the Up.
        const made = new Set<string>();
        const up = lintSection(migration, 'up', shadow, input, lines, schemaKnown, made);
        const afterUp = Shadow.of(shadow.db, input.foreignKeys);
        try {
          // Undoing what the Up made (DROP TABLE of its new table, DROP COLUMN of its new column) is what a Down is for.
          const down = lintSection(migration, 'down', afterUp, input, lines, schemaKnown, made);
          findings.push(...up, ...down.map((f) => ({ ...f, severity: 'warning' as const })));
        } finally {
          afterUp.close();
        }
      } else findings.push(...lintSection(migration, 'up', shadow, input, lines, schemaKnown));
    }
    return findings;
  } finally {
    shadow.close();
  }
}

/** The statements that change the schema: the ones whose failure in the shadow is a finding. */
const DDL = new Set<StatementShape['kind']>([
  'create-table',
  'create-index',
  'create-view',
  'create-trigger',
  'create-virtual-table',
  'rename-table',
  'rename-column',
  'add-column',
  'drop-column',
  'drop',
]);

/** Statements that can leave a view or trigger pointing at something gone. */
const MAY_BREAK = new Set<StatementShape['kind']>(['rename-table', 'rename-column', 'drop-column', 'drop']);

/**
 * Lints one section statement by statement. `made` collects the tables and
 * `table.column`s the section creates (lower-cased); for a Down it arrives
 * holding what its Up made.
 */
function lintSection(
  migration: Migration,
  section: 'up' | 'down',
  shadow: Shadow,
  input: LintInput,
  lines: string[],
  schemaKnown: boolean,
  made = new Set<string>(),
): LintFinding[] {
  const statements = (section === 'up' ? migration.up : migration.down) ?? [];
  // A Down always runs in a transaction (apply.ts); an Up unless the file says NO TRANSACTION.
  const inTransaction = section === 'down' || migration.useTransaction;
  const findings: LintFinding[] = [];
  const createdHere = made;
  /** Tables dropped in this section, with their columns, until they come back (a rebuild) or the section ends. */
  const dropped = new Map<string, { columns: string[]; statement: MigrationStatement }>();
  // A file that rebuilds runs with foreign keys off (apply.ts): nothing cascades there.
  let foreignKeys = input.foreignKeys && !migration.foreignKeysOff;
  // After an ATTACH (or a TS migration before this file) statements may name what the shadow lacks: its failures prove nothing.
  let attached = !schemaKnown;
  // Views and triggers broken before the section are not its doing; those it breaks are reported if still broken at its end.
  const brokenAtStart = statements.some((st) => MAY_BREAK.has(shapeOf(st.sql).kind)) ? shadow.brokenDependents() : new Map<string, string>();
  const brokenBy = new Map<string, { statement: MigrationStatement; why: string }>();
  // A sqlx pair's Down is its own file: findings name that file and its lines.
  const file = section === 'down' && migration.downPath ? migration.downPath : migration.path;
  const fileLines = file === migration.path ? lines : readLines(file);
  const reportAt = (statement: MigrationStatement, rule: LintRule, severity: LintSeverity, message: string, fix: string): void => {
    if (silenced(rule, statement, fileLines)) return;
    findings.push({
      rule,
      severity,
      file,
      line: statement.line ?? null,
      version: migration.version,
      section,
      message,
      fix,
      statement: shorten(statement.template ?? statement.sql), // as written: ENVSUB values stay off the screen
    });
  };

  for (const statement of statements) {
    if (statement.rebuild) {
      // cairn's own rebuild, run in the shadow as it will run for real: its refusals (a column left out, a broken view) are certain.
      try {
        rebuildTable(shadow.db, statement.rebuild.table, statement.rebuild.spec);
      } catch (error) {
        if (!attached)
          reportAt(
            statement,
            'statement-fails',
            'error',
            `the rebuild of ${statement.rebuild.table} fails: ${errorMessage(error)}`,
            'fix the block: the new CREATE TABLE, -- +cairn copy or -- +cairn drop',
          );
      }
      continue;
    }
    const shape = shapeOf(statement.sql);
    const report = (rule: LintRule, severity: LintSeverity, message: string, fix: string): void => reportAt(statement, rule, severity, message, fix);
    const existedBefore = (name: string): boolean => shadow.canonicalName(name) !== null && !createdHere.has(name.toLowerCase());

    switch (shape.kind) {
      case 'pragma':
        if (shape.name === 'foreign_keys' && shape.value !== null) {
          if (inTransaction) {
            report(
              'foreign-keys-pragma-in-transaction',
              'error',
              `PRAGMA foreign_keys = ${shape.value} runs inside the migration's transaction, where SQLite ignores it: foreign keys stay ${input.foreignKeys ? 'ON' : 'OFF'}`,
              section === 'down'
                ? 'a Down always runs in a transaction; rebuild tables with -- +cairn rebuild instead of switching foreign keys'
                : "put '-- +goose NO TRANSACTION' at the top of the file, or let cairn rebuild the table (-- +cairn rebuild / rebuildTable())",
            );
          } else foreignKeys = /^(1|on|yes|true)$/i.test(shape.value);
        }
        if (shape.name === 'journal_mode' && shape.value !== null && inTransaction) {
          report(
            'needs-no-transaction',
            'error',
            `PRAGMA journal_mode cannot change inside a transaction (SQLite refuses, or ignores it)`,
            "set journal_mode in the store's pragmas instead, or move it to a '-- +goose NO TRANSACTION' file",
          );
        }
        break;
      case 'vacuum':
        if (inTransaction) {
          report(
            'needs-no-transaction',
            'error',
            'VACUUM cannot run inside a transaction; this file runs in one, so the migration fails',
            "put '-- +goose NO TRANSACTION' at the top of the file (and keep VACUUM in a file of its own)",
          );
        }
        break;
      case 'transaction-control':
        if (inTransaction) {
          const nests = shape.verb === 'begin';
          report(
            'needs-no-transaction',
            'error',
            `${shape.verb.toUpperCase()} in a file that cairn runs in one transaction ${nests ? 'fails (transactions do not nest)' : 'ends that transaction early, so a failure later in the file can no longer be rolled back'}`,
            "remove it: cairn wraps each file in one transaction; a file that must manage its own needs '-- +goose NO TRANSACTION' at the top",
          );
        }
        break;
      case 'attach':
        attached = true;
        break;
      case 'add-column':
        if (existedBefore(shape.table)) {
          const failure = shadow.addColumnOnRows(shape.definition);
          const rows = rowsNote(input.database, shadow.canonicalName(shape.table) ?? shape.table);
          if (failure && /NOT NULL/i.test(failure)) {
            report(
              'add-column-not-null',
              'error',
              `ADD COLUMN ${shape.column} NOT NULL has no non-NULL default, so it fails on any ${shape.table} that has rows${rows}`,
              `give it a constant default (… NOT NULL DEFAULT 0), or rebuild ${shape.table} with the column filled (-- +cairn rebuild)`,
            );
          } else if (failure && /non-constant default/i.test(failure)) {
            report(
              'add-column-volatile-default',
              'error',
              `ADD COLUMN ${shape.column} has a non-constant default (CURRENT_TIMESTAMP, or an expression), which SQLite refuses on any ${shape.table} that has rows${rows}`,
              `add it with a constant default (or none) and fill it with an UPDATE in the same file, or rebuild ${shape.table} (-- +cairn rebuild)`,
            );
          }
        }
        break;
      case 'create-index':
        if (shape.unique && existedBefore(shape.table) && shadow.canonicalName(shape.name) === null) {
          const duplicates = findDuplicates(input.database, shadow, shape.table, statement.sql);
          report(
            'unique-index-existing-data',
            duplicates ? 'error' : 'warning',
            duplicates
              ? `UNIQUE index ${shape.name} cannot be built: ${shape.table} holds duplicates here (${duplicates})`
              : `UNIQUE index ${shape.name} on ${shape.table}, which may already hold rows: any user whose rows repeat a value cannot migrate`,
            `remove or merge the duplicates in the same migration before creating the index (DELETE … WHERE rowid NOT IN (SELECT min(rowid) … GROUP BY …))`,
          );
        }
        break;
      case 'drop':
        if (shape.object === 'table' && shadow.canonicalName(shape.name) !== null) {
          const table = shadow.table(shape.name);
          if (foreignKeys) {
            const children = cascadingChildren(shadow, table?.name ?? shape.name);
            if (children.length > 0) {
              report(
                'cascading-drop',
                'error',
                `DROP TABLE ${shape.name} deletes its rows first, and with foreign keys on that fires ${children.join(', ')}: those rows are deleted or changed while the migration "succeeds"${inTransaction ? ' (PRAGMA foreign_keys = OFF does nothing inside the transaction)' : ''}`,
                `rebuild the table with -- +cairn rebuild / rebuildTable(), which keeps every child row, or drop the children's foreign keys first`,
              );
            }
          }
          if (table && !createdHere.has(shape.name.toLowerCase()))
            dropped.set(shape.name.toLowerCase(), { columns: table.columns.map((c) => c.name), statement });
        }
        break;
      case 'drop-column':
        if (existedBefore(shape.table) && !createdHere.has(`${shape.table}.${shape.column}`.toLowerCase())) {
          report(
            'drop-column',
            'warning',
            `DROP COLUMN ${shape.table}.${shape.column} deletes the column and every value in it${rowsNote(input.database, shape.table)}`,
            'make sure nothing still reads it (older app versions included) and the values live elsewhere; silence with -- cairn:nolint drop-column',
          );
        }
        break;
      default:
        break;
    }
    if ('ifNotExists' in shape && shape.ifNotExists && shape.name) {
      const existing = shadow.sqlOf(shape.name);
      if (!attached && existing !== null && normalizeSql(existing) !== normalizeSql(statement.sql.replace(/\bif\s+not\s+exists\s+/i, ''))) {
        report(
          'if-not-exists-skips',
          'warning',
          `${shape.name} already exists with another definition, so CREATE … IF NOT EXISTS does nothing and this definition never lands`,
          `change the existing ${shape.name} with ALTER TABLE or a rebuild (-- +cairn rebuild), or drop it first`,
        );
      }
    }

    // Run it, so the next statement meets the schema this one leaves.
    const brokenBefore = MAY_BREAK.has(shape.kind) ? shadow.brokenDependents() : null;
    const failure =
      shape.kind === 'pragma' || shape.kind === 'vacuum' || shape.kind === 'attach' || shape.kind === 'detach' || shape.kind === 'transaction-control'
        ? null
        : shape.kind === 'dml'
          ? shadow.compile(statement.sql)
          : shadow.run(statement.sql);
    if (failure && !DDL.has(shape.kind) && certainFailure(failure, attached)) {
      report(
        'statement-fails',
        'error',
        `SQLite cannot run it: ${failure}`,
        'fix the statement; migrate refuses the whole run before applying any file while it fails',
      );
    } else if (failure && DDL.has(shape.kind) && !attached) {
      report(
        'statement-fails',
        'error',
        `fails against the schema the earlier migrations leave: ${failure}`,
        'fix the statement, or the order of the migrations; nothing in the history creates what it needs',
      );
    }
    if (!failure) {
      if (shape.kind === 'create-table' || shape.kind === 'create-virtual-table') createdHere.add(shape.name.toLowerCase());
      if (shape.kind === 'add-column') createdHere.add(`${shape.table}.${shape.column}`.toLowerCase());
      if (shape.kind === 'rename-table') {
        createdHere.add(shape.to.toLowerCase());
        const returned = dropped.get(shape.to.toLowerCase());
        if (returned) noteRebuild(shape.to, returned, shadow, report, dropped);
      }
      if (shape.kind === 'create-table') {
        const returned = dropped.get(shape.name.toLowerCase());
        if (returned) noteRebuild(shape.name, returned, shadow, report, dropped);
      }
    }
    if (brokenBefore) {
      for (const [object, why] of shadow.brokenDependents()) {
        if (!brokenBefore.has(object) && !brokenAtStart.has(object) && !brokenBy.has(object)) brokenBy.set(object, { statement, why });
      }
    }
  }
  // A rebuild breaks a view for a few statements and re-creates it; only what is still broken at the end counts.
  const brokenAtEnd = brokenBy.size > 0 ? shadow.brokenDependents() : new Map<string, string>();
  for (const [object, { statement, why }] of brokenBy) {
    if (!brokenAtEnd.has(object) || !schemaKnown) continue;
    reportAt(
      statement,
      'breaks-dependents',
      'error',
      `${object} no longer compiles after this statement (${why}); every use of it fails from now on`,
      `drop ${object} before this statement and re-create it to match the new schema, in the same migration`,
    );
  }
  for (const [name, { statement }] of dropped) {
    reportAt(
      statement,
      'drop-table',
      'warning',
      `DROP TABLE ${name} deletes the table and every row in it${rowsNote(input.database, name)}`,
      'make sure the rows are no longer needed or were copied elsewhere (a move between stores: moveTable()); silence with -- cairn:nolint drop-table',
    );
  }
  return findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/**
 * Whether a data statement's failure in the shadow is certain for every
 * user: a parse error always is; a missing table, column or function is when
 * the schema is known (no ATTACH, no code migration before it). A constraint
 * failure is not: the shadow has none of the store's rows.
 */
function certainFailure(message: string, attached: boolean): boolean {
  if (/syntax error|incomplete input|unrecognized token/i.test(message)) return true;
  return !attached && /^no such (table|column|function)|has no column named/i.test(message);
}

/** A dropped table came back under its name (the 12-step rebuild): say which columns did not. */
function noteRebuild(
  name: string,
  old: { columns: string[]; statement: MigrationStatement },
  shadow: Shadow,
  report: (rule: LintRule, severity: LintSeverity, message: string, fix: string) => void,
  dropped: Map<string, unknown>,
): void {
  dropped.delete(name.toLowerCase());
  const now = new Set((shadow.table(name)?.columns ?? []).map((c) => c.name.toLowerCase()));
  const lost = old.columns.filter((c) => !now.has(c.toLowerCase()));
  if (lost.length > 0) {
    report(
      'rebuild-drops-columns',
      'warning',
      `${name} is rebuilt without ${lost.join(', ')}: ${lost.length === 1 ? 'its values are' : 'their values are'} lost`,
      `keep ${lost.length === 1 ? 'the column' : 'the columns'} in the new table, or copy the values elsewhere first; silence with -- cairn:nolint rebuild-drops-columns`,
    );
  }
}

/** Child tables whose foreign key to `parent` deletes or changes their rows when a parent row goes. */
function cascadingChildren(shadow: Shadow, parent: string): string[] {
  return foreignKeysTo(shadow.tables(), parent)
    .map(({ table, fk }) => ({ table: table.name, action: fk.onDelete.toUpperCase() }))
    .filter(({ action }) => action === 'CASCADE' || action === 'SET NULL' || action === 'SET DEFAULT')
    .map(({ table, action }) => `${table}'s ON DELETE ${action}`);
}

/** " (N rows here)" when the store's own database says so. */
function rowsNote(database: Db | null, table: string): string {
  if (!database) return '';
  try {
    const n = database.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM ${quoteIdent(table)} LIMIT 1000001)`).get<{ n: number }>()?.n ?? 0;
    return n > 0 ? ` (${n > 1_000_000 ? 'over 1,000,000' : n.toLocaleString('en-US')} row${n === 1 ? '' : 's'} here)` : '';
  } catch {
    // The row count only decorates the message; a table the lint cannot count still gets its finding.
    return '';
  }
}

/**
 * Whether the store's rows already repeat the new unique index's key: the
 * index is built in the shadow first, so its columns come from SQLite; an
 * index on expressions or with a WHERE is not checked (null).
 */
function findDuplicates(database: Db | null, shadow: Shadow, table: string, sql: string): string | null {
  if (!database || /\bwhere\b/i.test(sql.replace(/'[^']*'/g, ''))) return null;
  const probe = Shadow.empty(false);
  try {
    const info = shadow.table(table);
    if (!info) return null;
    if (probe.run(shadow.sqlOf(info.name) ?? '') !== null || probe.run(sql) !== null) return null;
    const index = probe.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").get<{ name: string }>()?.name;
    if (!index) return null;
    const columns = probe.db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').all<{ name: string | null }>(index);
    if (columns.some((c) => c.name === null)) return null;
    const list = columns.map((c) => quoteIdent(c.name as string));
    const row = database
      .prepare(
        `SELECT ${list.join(', ')}, count(*) AS n FROM ${quoteIdent(info.name)} WHERE ${list.map((c) => `${c} IS NOT NULL`).join(' AND ')} GROUP BY ${list.join(', ')} HAVING count(*) > 1 LIMIT 1`,
      )
      .get<Record<string, unknown>>();
    if (!row) return null;
    const key = columns.map((c) => `${c.name} = ${JSON.stringify(row[c.name as string])}`).join(', ');
    return `${key} appears ${String(row.n)} times`;
  } catch {
    // Could not look: the finding stays a warning ("may hold duplicates") rather than a certain error.
    return null;
  } finally {
    probe.close();
  }
}

/** `-- cairn:nolint` (every rule) or `-- cairn:nolint rule-a rule-b`: in the statement, after it on its last line, or on the line above it. */
function silenced(rule: LintRule, statement: MigrationStatement, lines: string[]): boolean {
  const spanned = statement.line ? lines.slice(Math.max(0, statement.line - 2), statement.line + statement.sql.split('\n').length - 1) : [];
  for (const text of [statement.sql, ...spanned]) {
    for (const match of text.matchAll(/--\s*cairn:nolint\b([^\n]*)/g)) {
      const rules = (match[1] ?? '')
        .trim()
        .split(/[\s,]+/)
        .filter(Boolean);
      if (rules.length === 0 || rules.includes(rule)) return true;
    }
  }
  return false;
}

function readLines(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split(/\r?\n/);
  } catch {
    // The file was read moments ago to parse it; without its lines no nolint comment is seen, so findings only grow.
    return [];
  }
}

function normalizeSql(sql: string): string {
  return sql
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),;])\s*/g, '$1')
    .replace(/;$/, '')
    .trim()
    .toLowerCase();
}

function shorten(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat;
}
