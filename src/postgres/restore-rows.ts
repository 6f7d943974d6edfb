import { CairnError, errorMessage, isCairnError } from '../errors.js';
import { readLines, type Line } from '../importers/read-lines.js';
import { castFromLine, type PgTablePlan } from './restore-plan.js';
import type { PgSession } from './session.js';
import { columnKinds, snapshotLineToCopy, type ColumnKind } from './snapshot-copy.js';
import { quotePgIdent as qi } from './target.js';

/** Lines per statement on the statement path, and per progress report. */
const BATCH_LINES = 2000;
/** COPY text handed to the connection at a time. */
const COPY_CHUNK = 1 << 16;

export interface RowSource {
  schema: string;
  plan: PgTablePlan;
  /** The snapshot's data file for the table. */
  file: string;
  /** The INSERT … SELECT that reads a JSON array of lines (restore-plan.ts's insertFromLines). */
  insertSql: string;
  /** Lines handed to the server so far, for progress. */
  onRows: (lines: number) => void;
}

/**
 * A table's snapshot lines into it, inside the restore's transaction; the
 * number of rows. Lines that are plain values stream into one COPY under a
 * savepoint, so the server stores rows while the next are read (a COPY per
 * 2,000 lines, each awaited, left both sides idle half the time). A line
 * COPY cannot take (not plain values) goes, with the lines after it up to a
 * batch, through the statement path; if the server refuses the COPY, its
 * lines are rolled back and run again by statement, which names the line
 * and column the target cannot hold.
 */
export async function loadRows(session: PgSession, source: RowSource): Promise<number> {
  const { plan, file } = source;
  const copySql = `COPY ${qi(source.schema)}.${qi(plan.entry.name)} (${plan.columns.map((c) => qi(c.name)).join(', ')}) FROM STDIN`;
  const kinds = columnKinds(plan);
  const lines = readLines(file);
  try {
    return await loadFrom(session, source, lines, copySql, kinds);
  } finally {
    lines.return(undefined);
  }
}

async function loadFrom(session: PgSession, source: RowSource, lines: Generator<Line>, copySql: string, kinds: ColumnKind[]): Promise<number> {
  const { plan, file } = source;
  let next = lines.next();
  let rows = 0;
  let before = { end: 0, number: 0 };
  while (!next.done) {
    const segmentStart = before;
    let copied = 0;
    function* copyText(): Generator<string> {
      let text = '';
      let unreported = 0;
      for (; !next.done; next = lines.next()) {
        const row = snapshotLineToCopy(next.value.text, plan, kinds);
        if (row === null) break;
        text += row + '\n';
        copied += 1;
        before = next.value;
        if (text.length >= COPY_CHUNK) {
          yield text;
          text = '';
        }
        if (++unreported === BATCH_LINES) {
          source.onRows(unreported);
          unreported = 0;
        }
      }
      if (text) yield text;
      if (unreported > 0) source.onRows(unreported);
    }
    await session.query('SAVEPOINT cairn_copy');
    try {
      await session.copyIn(copySql, copyText());
      await session.query('RELEASE SAVEPOINT cairn_copy');
    } catch (error) {
      // A refusal of the session itself (no privilege, a full disk) is already named: no line is to blame.
      if (isCairnError(error)) throw error;
      await session.query('ROLLBACK TO SAVEPOINT cairn_copy');
      await session.query('RELEASE SAVEPOINT cairn_copy');
      await insertLines(session, source, readLines(file, { start: segmentStart.end, startLine: segmentStart.number }), copied);
    }
    rows += copied;
    if (next.done) break;
    // The line COPY could not take (or that threw while being read), with the lines after it up to a batch.
    const batch: Line[] = [];
    for (; !next.done && batch.length < BATCH_LINES; next = lines.next()) {
      batch.push(next.value);
      before = next.value;
    }
    await insertBatch(session, plan, source.insertSql, batch, file);
    rows += batch.length;
    source.onRows(batch.length);
  }
  return rows;
}

/** `count` lines from `lines` by the statement path, a batch at a time. */
async function insertLines(session: PgSession, source: RowSource, lines: Generator<Line>, count: number): Promise<void> {
  let batch: Line[] = [];
  for (let n = 0; n < count; n++) {
    const line = lines.next();
    if (line.done) break;
    batch.push(line.value);
    if (batch.length === BATCH_LINES || n === count - 1) {
      await insertBatch(session, source.plan, source.insertSql, batch, source.file);
      batch = [];
    }
  }
  lines.return(undefined);
}

/** A JSON \u0000 escape: the backslash before it not itself escaped (an even run of backslashes before it, none counted). */
const NUL = /(?<!\\)(?:\\\\)*\\u0000/;

function nulColumn(plan: PgTablePlan, text: string): string {
  try {
    const values = JSON.parse(text) as unknown[];
    const column = plan.columns.find((c) => typeof values[c.index] === 'string' && (values[c.index] as string).includes('\0'));
    if (column) return `column ${column.name} (${column.type})`;
  } catch {
    // the server names anything else
  }
  return 'a text value';
}

/**
 * One batch in one statement. When the server refuses it, the batch is run
 * again line by line, and that line column by column, each under a
 * savepoint, to name exactly what the target cannot hold.
 */
export async function insertBatch(session: PgSession, plan: PgTablePlan, sql: string, batch: { text: string; number: number }[], file: string): Promise<void> {
  const nul = batch.find((l) => NUL.test(l.text));
  if (nul) throw valueError(plan, file, nul.number, `${nulColumn(plan, nul.text)} holds a NUL character (\\u0000), which PostgreSQL text cannot store`);
  await session.query('SAVEPOINT cairn_batch');
  try {
    await session.query(sql, [`[${batch.map((l) => l.text).join(',')}]`]);
    await session.query('RELEASE SAVEPOINT cairn_batch');
    return;
  } catch (error) {
    // A refusal of the session itself (no privilege, a full disk) is already named: no line is to blame.
    if (isCairnError(error)) throw error;
    await session.query('ROLLBACK TO SAVEPOINT cairn_batch');
    for (const line of batch) {
      try {
        await session.query(sql, [`[${line.text}]`]);
        await session.query('ROLLBACK TO SAVEPOINT cairn_batch');
      } catch (lineError) {
        await session.query('ROLLBACK TO SAVEPOINT cairn_batch');
        throw await pinpoint(session, plan, file, line, lineError);
      }
    }
    // Each line goes in alone: together they clash (a key twice in the snapshot).
    throw valueError(plan, file, batch[0]!.number, `lines ${batch[0]!.number}–${batch.at(-1)!.number} cannot go in together: ${errorMessage(error)}`);
  }
}

async function pinpoint(session: PgSession, plan: PgTablePlan, file: string, line: { text: string; number: number }, lineError: unknown): Promise<CairnError> {
  for (const column of plan.columns) {
    try {
      await session.query(`SELECT ${castFromLine(column.index, column.type)} FROM (SELECT $1::json AS j) r`, [line.text]);
      await session.query('ROLLBACK TO SAVEPOINT cairn_batch');
    } catch (error) {
      await session.query('ROLLBACK TO SAVEPOINT cairn_batch');
      return valueError(
        plan,
        file,
        line.number,
        `column ${column.name} (${column.type}) cannot take ${valueAt(line.text, column.index)}: ${errorMessage(error)}`,
      );
    }
  }
  return valueError(plan, file, line.number, errorMessage(lineError));
}

function valueError(plan: PgTablePlan, file: string, line: number, why: string): CairnError {
  return new CairnError(
    'E_SNAPSHOT_SCHEMA',
    `${plan.entry.name}: ${file}:${line}: ${why}. Nothing was written; change the target column's type with a migration, or the value at its source`,
    { table: plan.entry.name, file, line },
  );
}

function valueAt(text: string, index: number): string {
  try {
    const value = (JSON.parse(text) as unknown[])[index];
    const shown = JSON.stringify(value);
    return shown.length > 80 ? `${shown.slice(0, 80)}…` : shown;
  } catch {
    return 'its value';
  }
}
