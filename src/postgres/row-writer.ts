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
} from '../importers/outcome.js';
import { errorMessage } from '../errors.js';
import { encodeGroup } from './copy-text.js';
import type { PgSession } from './session.js';
import { quotePgIdent as qi } from './target.js';
import { findColumn, readWriteTables, type PgWriteColumn, type PgWriteTable } from './write-tables.js';
import type { CopyColumns } from './copy-text.js';

/** How one (table, columns) shape is written: COPY into a session temp table, then one INSERT … SELECT per range of it. */
interface PgPrepared {
  temp: string;
  columns: PgWriteColumn[];
  bytea: boolean[];
  /** `$1`/`$2`: the range of the temp table's ordinals to insert. Returns `inserted`/`updated` counts in upsert mode. */
  insert: string;
  upsert: boolean;
  /**
   * `COPY table (columns) FROM STDIN`, tried first while the last batches of this shape were all new rows
   * (a first import): when nothing conflicts and nothing is refused, it is the INSERT's outcome at the
   * server's raw speed. Null where COPY would differ from INSERT (rules, row security, identity ALWAYS).
   */
  direct: string | null;
  tryDirect: boolean;
  /** Sequences behind the columns given a value: moved past the largest one after each batch. */
  sequences: { column: string; sequence: string }[];
}

/** Types with no equality operator: an upsert compares their text. */
const NO_EQUALITY = /^(json|xml|point|line|lseg|box|path|polygon|circle)(\[\])?$/;

export interface PgRowWriterOptions {
  mode?: WriteMode;
  /** As RowWriterOptions.holdBack: false for a backfill, whose checkpoint says the batch is done. */
  holdBack?: boolean;
  /** Each batch is a savepoint of a transaction the caller holds (a dry run, rolled back at the end), not a transaction of its own. */
  nested?: boolean;
}

/**
 * The PostgreSQL counterpart of RowWriter, with the same semantics: tables
 * in foreign-key order within each batch, existing rows left alone (or
 * updated where their values differ), one transaction per batch, a row that
 * breaks a constraint rejected alone with the server's reason, a row whose
 * parent has not arrived held back, counts published after the commit.
 *
 * While a shape's rows keep arriving new (a first import), each group is
 * COPYed straight into its table under a savepoint: when no row conflicts
 * and none is refused, that is exactly the INSERT's outcome, at the server's
 * raw speed. Otherwise (and from then on, until a batch is all new again)
 * rows go in through COPY into a temporary table of text columns, then one
 * `INSERT … SELECT … ON CONFLICT DO NOTHING` into the table, each value
 * read through its column's type. A failing INSERT is retried on halves of
 * its range under savepoints, so k bad rows among n cost O(k log n)
 * statements and every other row still goes in. Constraints are checked
 * per statement (SET CONSTRAINTS ALL IMMEDIATE), so nothing fails at COMMIT.
 */
export class PgRowWriter<O = unknown> {
  private readonly ledger: WriterLedger<O>;
  private readonly prepared = new Map<string, PgPrepared | string>();
  private ordinal = 0;
  private temps = 0;

  private constructor(
    private readonly session: PgSession,
    private readonly schema: string,
    readonly tables: Map<string, PgWriteTable>,
    private readonly options: PgRowWriterOptions,
  ) {
    this.ledger = new WriterLedger<O>(tables);
  }

  static async open<O>(session: PgSession, schema: string, options: PgRowWriterOptions = {}): Promise<PgRowWriter<O>> {
    return new PgRowWriter<O>(session, schema, await readWriteTables(session, schema), options);
  }

  /** Writes one batch in one transaction; `beforeCommit` runs in it, last, with what the batch did (a backfill's checkpoint). */
  async write(
    groups: readonly WriteGroup[],
    originOf: (tag: number) => O,
    onReject: RejectSink<O>,
    beforeCommit?: (outcome: Outcome<O>) => Promise<unknown> | unknown,
  ): Promise<void> {
    const ordered = this.ledger.byRank([...groups]);
    await this.prepareAll(ordered);
    const outcome = await this.transaction(async () => {
      const result = await this.writeGroups(ordered, originOf);
      if (this.options.holdBack === false) await this.settle(result);
      await this.advanceSequences(ordered);
      await beforeCommit?.(result);
      return result;
    });
    this.ledger.publish(outcome, onReject);
  }

  /** Retries held-back rows, parents first, until a pass makes no progress; what is left has no parent anywhere and is rejected. */
  async finish(onReject: RejectSink<O>): Promise<void> {
    while (this.ledger.deferred.length > 0) {
      const pending = this.ledger.takeDeferred();
      const groups = regroup(pending);
      await this.prepareAll(groups);
      const outcome = await this.transaction(async () => {
        const result = await this.writeGroups(groups, (tag) => (pending[tag] as WrittenRow<O>).origin);
        await this.advanceSequences(groups);
        return result;
      });
      this.ledger.rejectOrphans(outcome, pending.length);
      this.ledger.publish(outcome, onReject);
    }
    await this.durable();
  }

  /**
   * Waits until every batch committed so far is on the server's disk: a
   * commit that waits flushes the WAL up to its own record, and so every
   * commit before it. It must write WAL to wait at all (PostgreSQL skips the
   * flush for a transaction that wrote none, even one holding an id): a
   * temporary table's catalog rows are logged, and it leaves nothing behind.
   */
  async durable(): Promise<void> {
    if (!this.options.nested) await this.session.query('BEGIN; CREATE TEMP TABLE cairn_durable () ON COMMIT DROP; COMMIT');
  }

  counts(): Record<string, TableCounts> {
    return this.ledger.counts();
  }

  /** What a worker thread needs to encode rows for this store (encodeGroups). */
  copyColumns(): CopyColumns {
    return Object.fromEntries([...this.tables].map(([name, t]) => [name, t.columns.map((c) => ({ name: c.name, bytea: c.baseType === 'bytea' }))]));
  }

  rankOf(table: string): number {
    return this.ledger.rankOf(table);
  }

  /**
   * A batch's transaction. Its COMMIT does not wait for the WAL flush
   * (synchronous_commit = off): 1M rows in 500 batches took 7.1-7.6 s with
   * a flush each and 5.9-6.1 s without. A server crash can lose at most the
   * last few batches, whole and with their checkpoints (WAL replays in
   * order), which a re-run writes again; and the run ends with a commit
   * that does wait (durable()), which flushes every batch before it.
   */
  private async transaction<T>(fn: () => Promise<T>): Promise<T> {
    // Nested in a dry run's transaction, a batch is a savepoint, rolled back to on failure as a transaction would be.
    const [begin, commit, undo] = this.options.nested
      ? ['SAVEPOINT cairn_batch; SET CONSTRAINTS ALL IMMEDIATE', 'RELEASE SAVEPOINT cairn_batch', 'ROLLBACK TO SAVEPOINT cairn_batch']
      : ['BEGIN; SET CONSTRAINTS ALL IMMEDIATE; SET LOCAL synchronous_commit = off', 'COMMIT', 'ROLLBACK'];
    await this.session.query(begin);
    try {
      const out = await fn();
      await this.session.query(commit);
      return out;
    } catch (error) {
      await this.session.query(undo).catch(() => {});
      throw error;
    }
  }

  private async settle(outcome: Outcome<O>): Promise<void> {
    while (outcome.deferred.length > 0) {
      const pending = this.ledger.byRank(outcome.deferred);
      const retried = await this.writeGroups(regroup(pending), (tag) => (pending[tag] as WrittenRow<O>).origin);
      const stuck = this.ledger.rejectOrphans(retried, pending.length);
      merge(outcome, { ...retried, deferred: [] });
      outcome.deferred = stuck ? [] : retried.deferred;
    }
  }

  /** Each group: its rows as COPY text into the temp table (a value no column can hold is rejected here), then inserted by ranges. */
  private async writeGroups(groups: readonly WriteGroup[], originOf: (tag: number) => O): Promise<Outcome<O>> {
    const outcome: Outcome<O> = { counts: new Map(), rejects: [], deferred: [] };
    for (const group of groups) {
      const prepared = this.prepared.get(shapeKey(group.table, group.columns)) as PgPrepared | string;
      const rowAt = (r: number): WrittenRow<O> => {
        const width = group.columns.length;
        return {
          table: group.table,
          columns: group.columns,
          params: group.values.slice(r * width, (r + 1) * width),
          origin: originOf(group.origins[r] as number),
        };
      };
      if (typeof prepared === 'string') {
        for (const row of unpack(group, originOf)) outcome.rejects.push([row, prepared]);
        continue;
      }
      const { text, kept, rejects } = group.copy ?? encodeGroup(group, prepared.bytea);
      for (const [r, reason] of rejects) outcome.rejects.push([rowAt(r), reason]);
      if (kept.length === 0) continue;
      const counts = countsFor(outcome.counts, group.table);
      if (await this.copyDirect(prepared, text)) {
        counts.inserted += kept.length;
        continue;
      }
      const base = this.ordinal;
      this.ordinal += kept.length;
      const lines = (typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8')).split('\n');
      lines.pop(); // after the last newline
      await this.session.copyIn(`COPY ${prepared.temp} FROM STDIN`, lines.map((line, i) => `${base + i}\t${line}\n`).join(''));
      const before = { ...counts };
      let refused = 0;
      await this.insertRange(prepared, base, 0, kept.length - 1, counts, (i, error) => {
        refused += 1;
        const row = rowAt(kept[i] as number);
        if (codeOf(error) === '23503') outcome.deferred.push(row);
        else outcome.rejects.push([row, reasonOf(error)]);
      });
      // Every row new and none refused: the next batch of this shape tries the direct COPY again.
      if (prepared.direct && refused === 0 && counts.inserted - before.inserted === kept.length) prepared.tryDirect = true;
    }
    return outcome;
  }

  /** The lines straight into the table under a savepoint; false (and direct COPY paused for the shape) when any row conflicts or is refused. */
  private async copyDirect(prepared: PgPrepared, text: string | Uint8Array): Promise<boolean> {
    if (!prepared.direct || !prepared.tryDirect) return false;
    await this.session.query('SAVEPOINT cairn_copy');
    try {
      await this.session.copyIn(prepared.direct, text);
      await this.session.query('RELEASE SAVEPOINT cairn_copy');
      return true;
    } catch (error) {
      await this.session.query('ROLLBACK TO SAVEPOINT cairn_copy');
      await this.session.query('RELEASE SAVEPOINT cairn_copy');
      if (!isRowError(error)) throw error;
      prepared.tryDirect = false;
      return false;
    }
  }

  /** Inserts ordinals base+lo … base+hi; on a row's error, halves the range under savepoints until each bad row stands alone. */
  private async insertRange(
    prepared: PgPrepared,
    base: number,
    lo: number,
    hi: number,
    counts: TableCounts,
    onRowError: (index: number, error: unknown) => void,
  ): Promise<void> {
    await this.session.query('SAVEPOINT cairn_rows');
    try {
      const { rows, rowCount } = await this.session.run<{ inserted: number; updated: number }>(prepared.insert, [base + lo, base + hi]);
      await this.session.query('RELEASE SAVEPOINT cairn_rows');
      const inserted = prepared.upsert ? Number(rows[0]?.inserted ?? 0) : rowCount;
      const updated = prepared.upsert ? Number(rows[0]?.updated ?? 0) : 0;
      counts.inserted += inserted;
      counts.updated += updated;
      counts.alreadyPresent += hi - lo + 1 - inserted - updated;
    } catch (error) {
      await this.session.query('ROLLBACK TO SAVEPOINT cairn_rows');
      await this.session.query('RELEASE SAVEPOINT cairn_rows');
      if (!isRowError(error)) throw error;
      if (lo === hi) return onRowError(lo, error);
      const mid = (lo + hi) >> 1;
      await this.insertRange(prepared, base, lo, mid, counts, onRowError);
      await this.insertRange(prepared, base, mid + 1, hi, counts, onRowError);
    }
  }

  /** A serial or identity column given explicit values: its sequence moves past them, so the app's next insert does not collide. */
  private async advanceSequences(groups: readonly WriteGroup[]): Promise<void> {
    const seen = new Set<string>();
    for (const group of groups) {
      const prepared = this.prepared.get(shapeKey(group.table, group.columns));
      if (typeof prepared !== 'object') continue;
      for (const { column, sequence } of prepared.sequences) {
        if (seen.has(sequence)) continue;
        seen.add(sequence);
        await this.session.query(
          `SELECT setval($1, m) FROM (SELECT max(${qi(column)}) AS m FROM ${qi(this.schema)}.${qi(group.table)}) x, ${sequence} s
           WHERE m IS NOT NULL AND m > CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END`,
          [sequence],
        );
      }
    }
  }

  /** Temp tables are made outside the batch's transaction, so a rolled-back batch never leaves a cached shape without its table. */
  private async prepareAll(groups: readonly WriteGroup[]): Promise<void> {
    for (const group of groups) {
      const key = shapeKey(group.table, group.columns);
      if (!this.prepared.has(key)) this.prepared.set(key, await this.prepare(group.table, group.columns));
    }
  }

  private async prepare(table: string, names: string[]): Promise<PgPrepared | string> {
    const info = this.tables.get(table);
    if (!info) return `the target has no table ${JSON.stringify(table)} (tables: ${[...this.tables.keys()].join(', ')})`;
    if (names.length === 0) return `the row for ${table} has no columns`;
    const columns: PgWriteColumn[] = [];
    for (const name of names) {
      const column = findColumn(info.columns, name);
      if (!column) return `table ${table} has no column ${JSON.stringify(name)} (columns: ${info.columns.map((c) => c.name).join(', ')})`;
      if (column.generated) return `column ${table}.${column.name} is generated and cannot be written`;
      columns.push(column);
    }
    const temp = `pg_temp.cairn_rows_${++this.temps}`;
    const fields = columns.map((_, i) => `c${i} text`).join(', ');
    await this.session.query(`CREATE TEMP TABLE ${temp} (cairn_ord bigint, ${fields}) ON COMMIT DELETE ROWS`);
    const target = `${qi(this.schema)}.${qi(table)}`;
    const list = columns.map((c) => qi(c.name)).join(', ');
    const overriding = columns.some((c) => c.identityAlways) ? ' OVERRIDING SYSTEM VALUE' : '';
    // No ORDER BY: a temporary table is scanned from its first block in line order (synchronized scans are
    // for shared buffers only), which is the order COPY wrote, so the first of two rows with one key still
    // wins, as on SQLite; sorting 20,000 rows per batch cost a quarter of the insert's time.
    const select = `SELECT ${columns.map((c, i) => `c${i}::${c.baseType}`).join(', ')} FROM ${temp} WHERE cairn_ord BETWEEN $1 AND $2`;
    const key = info.primaryKey.map((k) => columns.find((c) => c.name === k));
    const upsert = this.options.mode === 'upsert' && key.length > 0 && key.every((c) => c !== undefined);
    const sequences = columns.filter((c) => c.sequence !== null).map((c) => ({ column: c.name, sequence: c.sequence as string }));
    const direct = info.copyable && !columns.some((c) => c.identityAlways) ? `COPY ${target} (${list}) FROM STDIN` : null;
    const common = { temp, columns, bytea: columns.map((c) => c.baseType === 'bytea'), sequences, direct, tryDirect: direct !== null };
    if (!upsert) return { ...common, upsert: false, insert: `INSERT INTO ${target} (${list})${overriding} ${select} ON CONFLICT DO NOTHING` };
    const others = columns.filter((c) => !info.primaryKey.includes(c.name));
    const compare = (side: string, c: PgWriteColumn): string => (NO_EQUALITY.test(c.baseType) ? `${side}.${qi(c.name)}::text` : `${side}.${qi(c.name)}`);
    const action =
      others.length === 0
        ? 'DO NOTHING'
        : `DO UPDATE SET ${others.map((c) => `${qi(c.name)} = excluded.${qi(c.name)}`).join(', ')}
           WHERE (${others.map((c) => compare('x', c)).join(', ')}, NULL) IS DISTINCT FROM (${others.map((c) => compare('excluded', c)).join(', ')}, NULL)`;
    const conflict = info.primaryKey.map(qi).join(', ');
    return {
      ...common,
      upsert: true,
      insert: `WITH w AS (INSERT INTO ${target} AS x (${list})${overriding} ${select} ON CONFLICT (${conflict}) ${action} RETURNING (x.xmax = 0) AS fresh)
        SELECT count(*) FILTER (WHERE fresh)::int AS inserted, count(*) FILTER (WHERE NOT fresh)::int AS updated FROM w`,
    };
  }
}

function shapeKey(table: string, columns: readonly string[]): string {
  return `${table}\u0000${columns.join('\u0000')}`;
}

/** Rows back into groups of one shape each, in order; a row's tag is its index in `rows`. */
function regroup<O>(rows: readonly WrittenRow<O>[]): WriteGroup[] {
  const groups: WriteGroup[] = [];
  let last: WriteGroup | null = null;
  rows.forEach((row, i) => {
    if (!last || last.table !== row.table || shapeKey(last.table, last.columns) !== shapeKey(row.table, row.columns)) {
      last = { table: row.table, columns: row.columns, values: [], origins: [] };
      groups.push(last);
    }
    last.values.push(...row.params);
    last.origins.push(i);
  });
  return groups;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/**
 * Errors that belong to a row's values: data exceptions (class 22: a value
 * its type cannot read, too long, out of range), integrity violations (23),
 * a key updated twice in one statement (21000), an index entry too large
 * (54000). Anything else (the connection, a privilege, the disk) is not the
 * row's and stops the write.
 */
function isRowError(error: unknown): boolean {
  const code = codeOf(error);
  return code.startsWith('22') || code.startsWith('23') || code === '21000' || code === '54000';
}

function reasonOf(error: unknown): string {
  const detail = (error as { detail?: unknown } | null)?.detail;
  return typeof detail === 'string' && detail ? `${errorMessage(error)} (${detail})` : errorMessage(error);
}
