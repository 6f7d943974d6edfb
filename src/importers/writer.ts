import type { Db, SqlValue, Statement } from '../sqlite/db.js';
import { quoteIdent } from '../sqlite/quote.js';
import { foreignKeyOrder, readTables, type TableInfo } from '../sqlite/schema-info.js';

export type WriteMode = 'insert' | 'upsert';

export interface TableCounts {
  inserted: number;
  alreadyPresent: number;
  updated: number;
  rejected: number;
}

/** What the writer needs of a row: where it goes and its values. */
export interface WritableRow {
  table: string;
  values: Record<string, SqlValue>;
}

export type RejectSink<R extends WritableRow> = (row: R, reason: string) => void;

interface Prepared {
  insert: Statement;
  /** Upsert mode: does a row with this key exist already? Null when the row has no full key. */
  exists: Statement | null;
  keyIndexes: number[];
}

interface Outcome<R> {
  counts: Map<string, TableCounts>;
  rejects: [R, string][];
  deferred: R[];
}

/**
 * Writes mapped rows into one database: tables in foreign-key order within
 * each batch, `INSERT … ON CONFLICT DO NOTHING` (or an upsert that only
 * touches rows whose values differ), one transaction per batch.
 *
 * A row that breaks a constraint is rejected alone (SQLite rolls back just
 * that statement); a row whose parent has not arrived yet (a child source read
 * before its parent's) is held back and retried by `finish()`. Counts and
 * rejects are published only after the batch commits, so a rolled-back batch
 * is never counted twice.
 */
export class RowWriter<R extends WritableRow = WritableRow> {
  readonly tables: Map<string, TableInfo>;
  private readonly order: Map<string, number>;
  private readonly statements = new Map<string, Prepared | string>();
  private readonly totals = new Map<string, TableCounts>();
  private deferred: R[] = [];

  constructor(
    private readonly db: Db,
    private readonly options: { mode?: WriteMode } = {},
  ) {
    this.tables = readTables(db);
    this.order = new Map(foreignKeyOrder(this.tables).map((name, i) => [name, i]));
  }

  /** Writes one batch in one transaction; `inSameTransaction` runs before COMMIT (a backfill's checkpoint). */
  write(rows: readonly R[], onReject: RejectSink<R>, inSameTransaction?: () => void): void {
    const ordered = this.sortByForeignKeys(rows);
    let outcome: Outcome<R>;
    try {
      outcome = this.db.transaction(() => {
        const result = this.writeRows(ordered);
        inSameTransaction?.();
        return result;
      });
    } catch (error) {
      if (!isCommitConstraint(error)) throw error;
      // A deferred constraint failed at COMMIT and took the whole batch with it: find the culprit row by row.
      outcome = { counts: new Map(), rejects: [], deferred: [] };
      for (const row of ordered) {
        try {
          merge(
            outcome,
            this.db.transaction(() => this.writeRows([row])),
          );
        } catch (rowError) {
          if (!isCommitConstraint(rowError)) throw rowError;
          if (isForeignKeyError(rowError)) outcome.deferred.push(row);
          else outcome.rejects.push([row, constraintReason(rowError)]);
        }
      }
      if (inSameTransaction) this.db.transaction(inSameTransaction);
    }
    this.publish(outcome, onReject);
  }

  /**
   * Retries held-back rows, parents first, until a pass makes no progress;
   * what is left has no parent anywhere in the input and is rejected.
   */
  finish(onReject: RejectSink<R>): void {
    while (this.deferred.length > 0) {
      const pending = this.deferred;
      this.deferred = [];
      const outcome = this.db.transaction(() => this.writeRows(this.sortByForeignKeys(pending)));
      const progressed = outcome.deferred.length < pending.length;
      if (!progressed) {
        for (const row of outcome.deferred) outcome.rejects.push([row, this.missingParentReason(row)]);
        outcome.deferred = [];
      }
      this.publish(outcome, onReject);
    }
  }

  counts(): Record<string, TableCounts> {
    return Object.fromEntries([...this.totals.entries()].sort((a, b) => (this.order.get(a[0]) ?? 1e9) - (this.order.get(b[0]) ?? 1e9)));
  }

  /** A table's place in foreign-key order (parents lower); unknown tables last. */
  rankOf(table: string): number {
    return this.order.get(table) ?? this.order.size;
  }

  /** Rows held back for a missing parent, waiting for finish(). */
  get heldBack(): number {
    return this.deferred.length;
  }

  private publish(outcome: Outcome<R>, onReject: RejectSink<R>): void {
    for (const [table, delta] of outcome.counts) {
      const total = this.countsFor(this.totals, table);
      total.inserted += delta.inserted;
      total.alreadyPresent += delta.alreadyPresent;
      total.updated += delta.updated;
    }
    for (const [row, reason] of outcome.rejects) {
      this.countsFor(this.totals, row.table).rejected += 1;
      onReject(row, reason);
    }
    this.deferred.push(...outcome.deferred);
  }

  private writeRows(rows: readonly R[]): Outcome<R> {
    const outcome: Outcome<R> = { counts: new Map(), rejects: [], deferred: [] };
    const upsert = this.options.mode === 'upsert';
    for (const row of rows) {
      const columns = Object.keys(row.values);
      const prepared = this.statementFor(row.table, columns);
      if (typeof prepared === 'string') {
        outcome.rejects.push([row, prepared]);
        continue;
      }
      const params = columns.map((c) => row.values[c] as SqlValue);
      try {
        const existed = upsert && prepared.exists ? prepared.exists.get(...prepared.keyIndexes.map((i) => params[i] as SqlValue)) !== undefined : false;
        const changes = prepared.insert.run(...params).changes;
        const counts = this.countsFor(outcome.counts, row.table);
        if (changes === 0) counts.alreadyPresent += 1;
        else if (existed) counts.updated += 1;
        else counts.inserted += 1;
      } catch (error) {
        if (isForeignKeyError(error)) outcome.deferred.push(row);
        else if (isRowError(error)) outcome.rejects.push([row, constraintReason(error)]);
        else throw error;
      }
    }
    return outcome;
  }

  private statementFor(table: string, columns: string[]): Prepared | string {
    const key = `${table}\u0000${columns.join('\u0000')}`;
    let prepared = this.statements.get(key);
    if (prepared === undefined) {
      prepared = this.prepare(table, columns);
      this.statements.set(key, prepared);
    }
    return prepared;
  }

  private prepare(table: string, columns: string[]): Prepared | string {
    const info = this.tables.get(table);
    if (!info) return `the target has no table ${JSON.stringify(table)} (tables: ${[...this.tables.keys()].join(', ')})`;
    if (columns.length === 0) return `the row for ${table} has no columns`;
    for (const column of columns) {
      const col = info.columns.find((c) => c.name.toLowerCase() === column.toLowerCase());
      if (!col) return `table ${table} has no column ${JSON.stringify(column)} (columns: ${info.columns.map((c) => c.name).join(', ')})`;
      if (col.generated) return `column ${table}.${column} is generated and cannot be written`;
    }
    const t = quoteIdent(table);
    const cols = columns.map(quoteIdent).join(', ');
    const values = columns.map(() => '?').join(', ');
    const key = info.primaryKey;
    const keyIndexes = key.map((k) => columns.findIndex((c) => c.toLowerCase() === k.toLowerCase()));
    const hasKey = key.length > 0 && keyIndexes.every((i) => i >= 0);
    if (this.options.mode !== 'upsert' || !hasKey) {
      return { insert: this.db.prepare(`INSERT INTO ${t} (${cols}) VALUES (${values}) ON CONFLICT DO NOTHING`), exists: null, keyIndexes: [] };
    }
    const others = columns.filter((c) => !key.some((k) => k.toLowerCase() === c.toLowerCase()));
    const conflict = key.map(quoteIdent).join(', ');
    const action =
      others.length === 0
        ? 'DO NOTHING'
        : `DO UPDATE SET ${others.map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`).join(', ')} WHERE ${others
            .map((c) => `${t}.${quoteIdent(c)} IS NOT excluded.${quoteIdent(c)}`)
            .join(' OR ')}`;
    return {
      insert: this.db.prepare(`INSERT INTO ${t} (${cols}) VALUES (${values}) ON CONFLICT (${conflict}) ${action}`),
      exists: this.db.prepare(`SELECT 1 FROM ${t} WHERE ${key.map((k) => `${quoteIdent(k)} = ?`).join(' AND ')}`),
      keyIndexes,
    };
  }

  private sortByForeignKeys(rows: readonly R[]): R[] {
    // Stable: rows of one table keep their input order (a self-referencing table's parents usually come first).
    return rows
      .map((row, i) => [row, i] as const)
      .sort((a, b) => (this.order.get(a[0].table) ?? 1e9) - (this.order.get(b[0].table) ?? 1e9) || a[1] - b[1])
      .map(([row]) => row);
  }

  private missingParentReason(row: R): string {
    const parents = (this.tables.get(row.table)?.foreignKeys ?? []).map((fk) => `${fk.table}(${fk.to.join(', ') || 'primary key'}) via ${fk.from.join(', ')}`);
    return `FOREIGN KEY constraint failed: no parent row in ${parents.join(' or ') || 'a referenced table'}, in the target or anywhere in the input`;
  }

  private countsFor(map: Map<string, TableCounts>, table: string): TableCounts {
    let counts = map.get(table);
    if (!counts) {
      counts = { inserted: 0, alreadyPresent: 0, updated: 0, rejected: 0 };
      map.set(table, counts);
    }
    return counts;
  }
}

function merge<R>(into: Outcome<R>, from: Outcome<R>): void {
  for (const [table, delta] of from.counts) {
    const c = into.counts.get(table) ?? { inserted: 0, alreadyPresent: 0, updated: 0, rejected: 0 };
    c.inserted += delta.inserted;
    c.alreadyPresent += delta.alreadyPresent;
    c.updated += delta.updated;
    into.counts.set(table, c);
  }
  into.rejects.push(...from.rejects);
  into.deferred.push(...from.deferred);
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function isForeignKeyError(error: unknown): boolean {
  return codeOf(error) === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/** Errors that belong to one row's values, not to the database or the disk. */
function isRowError(error: unknown): boolean {
  const code = codeOf(error);
  if (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG' || code === 'SQLITE_RANGE') return true;
  // Binding errors from the driver (a value of a type SQLite cannot take).
  return error instanceof TypeError || error instanceof RangeError;
}

function isCommitConstraint(error: unknown): boolean {
  return codeOf(error).startsWith('SQLITE_CONSTRAINT');
}

function constraintReason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
