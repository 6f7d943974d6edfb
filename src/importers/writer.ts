import type { Db, SqlValue, Statement } from '../sqlite/db.js';
import {
  countsFor,
  merge,
  unpack,
  WriterLedger,
  type Outcome,
  type RejectSink,
  type TableCounts,
  type WriteGroup,
  type WriteMode,
  type WrittenRow,
} from './outcome.js';

import { quoteIdent } from '../sqlite/quote.js';
import { readTables, type TableInfo } from '../sqlite/schema-info.js';

export { rowObject, type Outcome, type RejectSink, type TableCounts, type WriteGroup, type WriteMode, type WrittenRow } from './outcome.js';

interface Prepared {
  insert: Statement;
  /** Upsert mode: does a row with this key exist already? Null when the row has no full key. */
  exists: Statement | null;
  keyIndexes: number[];
}

export interface RowWriterOptions {
  mode?: WriteMode;
  /**
   * Hold a row whose parent is missing in memory for `finish()` (default), so a
   * parent read later still takes it. A backfill turns this off: its
   * checkpoint says the batch is done, so nothing may outlive the batch; a row
   * still without a parent once the batch's other rows are in is rejected.
   */
  holdBack?: boolean;
}

/**
 * Writes mapped rows into one database: tables in foreign-key order within
 * each batch, `INSERT … ON CONFLICT DO NOTHING` (or an upsert that only
 * touches rows whose values differ), one transaction per batch.
 *
 * A row that breaks a constraint is rejected alone (SQLite rolls back just
 * that statement); a row whose parent has not arrived yet is held back and
 * retried by `finish()`. Counts and rejects are published only after the
 * batch commits, so a rolled-back batch is never counted twice.
 */
export class RowWriter<O = unknown> {
  readonly tables: Map<string, TableInfo>;
  private readonly ledger: WriterLedger<O>;
  private readonly statements = new Map<string, Prepared | string>();

  constructor(
    private readonly db: Db,
    private readonly options: RowWriterOptions = {},
  ) {
    this.tables = readTables(db);
    this.ledger = new WriterLedger<O>(this.tables);
  }

  /**
   * Writes one batch in one transaction. `beforeCommit` runs inside it, last,
   * with what the batch did (a backfill's checkpoint and its rejects go in
   * the same commit as the rows).
   */
  write(groups: readonly WriteGroup[], originOf: (tag: number) => O, onReject: RejectSink<O>, beforeCommit?: (outcome: Outcome<O>) => void): void {
    const ordered = this.ledger.byRank([...groups]);
    let outcome: Outcome<O>;
    try {
      outcome = this.db.withTransaction(() => {
        const result = this.writeGroups(ordered, originOf);
        if (this.options.holdBack === false) this.settle(result);
        beforeCommit?.(result);
        return result;
      });
    } catch (error) {
      if (!isCommitConstraint(error)) throw error;
      // A deferred constraint failed at COMMIT and took the whole batch with it: find the culprit row by row.
      outcome = this.writeRowByRow(ordered.flatMap((g) => unpack(g, originOf)));
      if (this.options.holdBack === false) this.settle(outcome, (rows) => this.writeIsolated(rows));
      if (beforeCommit) {
        const done = outcome;
        this.db.withTransaction(() => beforeCommit(done));
      }
    }
    this.ledger.publish(outcome, onReject);
  }

  /** Retries held-back rows until a pass makes no progress, then rejects the rest (no parent anywhere). */
  private settle(outcome: Outcome<O>, write: (rows: WrittenRow<O>[]) => Outcome<O> = (rows) => this.writeRows(rows)): void {
    while (outcome.deferred.length > 0) {
      const pending = this.ledger.byRank(outcome.deferred);
      const retried = write(pending);
      const stuck = this.ledger.rejectOrphans(retried, pending.length);
      merge(outcome, { ...retried, deferred: [] });
      outcome.deferred = stuck ? [] : retried.deferred;
    }
  }

  /** Rows in one transaction; if a deferred constraint fails its COMMIT, row by row instead. */
  private writeIsolated(rows: WrittenRow<O>[]): Outcome<O> {
    try {
      return this.db.withTransaction(() => this.writeRows(rows));
    } catch (error) {
      if (!isCommitConstraint(error)) throw error;
      return this.writeRowByRow(rows);
    }
  }

  /** One transaction per row, so a constraint checked only at COMMIT (DEFERRABLE INITIALLY DEFERRED) names its row. */
  private writeRowByRow(rows: readonly WrittenRow<O>[]): Outcome<O> {
    const outcome: Outcome<O> = { counts: new Map(), rejects: [], deferred: [] };
    for (const row of rows) {
      try {
        merge(
          outcome,
          this.db.withTransaction(() => this.writeRows([row])),
        );
      } catch (error) {
        if (!isCommitConstraint(error)) throw error;
        if (isForeignKeyError(error)) outcome.deferred.push(row);
        else outcome.rejects.push([row, errorText(error)]);
      }
    }
    return outcome;
  }

  /**
   * Retries held-back rows, parents first, until a pass makes no progress;
   * what is left has no parent anywhere in the input and is rejected.
   */
  finish(onReject: RejectSink<O>): void {
    while (this.ledger.deferred.length > 0) {
      const pending = this.ledger.takeDeferred();
      const outcome = this.writeIsolated(pending);
      this.ledger.rejectOrphans(outcome, pending.length);
      this.ledger.publish(outcome, onReject);
    }
  }

  counts(): Record<string, TableCounts> {
    return this.ledger.counts();
  }

  /** A table's place in foreign-key order (parents lower); unknown tables last. */
  rankOf(table: string): number {
    return this.ledger.rankOf(table);
  }

  /** The hot loop: one reused parameter array per group, no object per row. */
  private writeGroups(groups: readonly WriteGroup[], originOf: (tag: number) => O): Outcome<O> {
    const outcome: Outcome<O> = { counts: new Map(), rejects: [], deferred: [] };
    for (const group of groups) {
      const prepared = this.statementFor(group.table, group.columns);
      if (typeof prepared === 'string') {
        for (const row of unpack(group, originOf)) outcome.rejects.push([row, prepared]);
        continue;
      }
      const counts = countsFor(outcome.counts, group.table);
      const width = group.columns.length;
      const params: SqlValue[] = new Array(width);
      const { values } = group;
      for (let r = 0, offset = 0; r < group.origins.length; r++, offset += width) {
        for (let c = 0; c < width; c++) params[c] = values[offset + c] as SqlValue;
        const error = this.writeOne(prepared, params, counts);
        if (error !== null) {
          const row = { table: group.table, columns: group.columns, params: params.slice(), origin: originOf(group.origins[r] as number) };
          if (isForeignKeyError(error)) outcome.deferred.push(row);
          else outcome.rejects.push([row, errorText(error)]);
        }
      }
    }
    return outcome;
  }

  private writeRows(rows: readonly WrittenRow<O>[]): Outcome<O> {
    const outcome: Outcome<O> = { counts: new Map(), rejects: [], deferred: [] };
    for (const row of rows) {
      const prepared = this.statementFor(row.table, row.columns);
      if (typeof prepared === 'string') {
        outcome.rejects.push([row, prepared]);
        continue;
      }
      const error = this.writeOne(prepared, row.params, countsFor(outcome.counts, row.table));
      if (error === null) continue;
      if (isForeignKeyError(error)) outcome.deferred.push(row);
      else outcome.rejects.push([row, errorText(error)]);
    }
    return outcome;
  }

  /** Writes one row and counts it; returns the row's own error (a constraint), rethrows anything else. */
  private writeOne(prepared: Prepared, params: SqlValue[], counts: TableCounts): unknown {
    try {
      const existed = prepared.exists ? prepared.exists.get(...prepared.keyIndexes.map((i) => params[i] as SqlValue)) !== undefined : false;
      const changes = prepared.insert.runArray(params).changes;
      if (changes === 0) counts.alreadyPresent += 1;
      else if (existed) counts.updated += 1;
      else counts.inserted += 1;
      return null;
    } catch (error) {
      if (isRowError(error)) return error;
      throw error;
    }
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

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
