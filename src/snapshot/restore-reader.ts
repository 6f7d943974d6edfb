import { CairnError } from '../errors.js';
import { readLines } from '../importers/read-lines.js';
import type { SqlValue } from '../sqlite/db.js';
import { decodeLine, LineFormatError, type DecodeColumn } from './line-format.js';

/** One snapshot file to read, and how its lines map onto the target table's columns. */
export interface RestoreSource {
  table: string;
  file: string;
  /** Values on each line (the snapshot's columns). */
  width: number;
  /** The columns written, each with its position on the line. */
  columns: DecodeColumn[];
  /** Rows per multi-row INSERT: the reader cuts runs of rows to this size. */
  batchRows: number;
}

/**
 * Rows in file order: a run of rows decoded in JS (flat, row after row, at
 * most `batchRows` of them, with their line numbers), or one line only
 * SQLite can type exactly (see decodeLine), passed on as text.
 */
export type RestoreSegment = { values: SqlValue[]; lines: number[] } | { exact: string; line: number };

export interface RestoreBatch {
  /** Index into the sources. */
  source: number;
  segments: RestoreSegment[];
  rows: number;
}

/** Rows per batch posted from the reader thread: large enough that posting costs little per row. */
const ROWS_PER_BATCH = 4096;

/**
 * Reads and decodes every source's lines into batches, in order, so the
 * writer only binds and inserts. Runs on a worker thread (restore-worker.ts)
 * while the main thread writes. A line that is not a snapshot row is an
 * error naming its file and line.
 */
export function* produceRestoreBatches(sources: readonly RestoreSource[]): Generator<RestoreBatch> {
  for (let source = 0; source < sources.length; source++) {
    const { table, file, width, columns, batchRows } = sources[source] as RestoreSource;
    const scratch: SqlValue[] = new Array<SqlValue>(columns.length);
    let batch: RestoreBatch = { source, segments: [], rows: 0 };
    let run: { values: SqlValue[]; lines: number[] } | null = null;
    for (const line of readLines(file)) {
      let decoded: SqlValue[] | null;
      try {
        decoded = decodeLine(line.text, width, columns, scratch);
      } catch (error) {
        if (!(error instanceof LineFormatError)) throw error;
        throw snapshotLineError(file, line.number, table, error.message, error);
      }
      if (decoded) {
        if (!run) batch.segments.push((run = { values: [], lines: [] }));
        for (const value of decoded) run.values.push(value);
        run.lines.push(line.number);
        if (run.lines.length === batchRows) run = null;
      } else {
        batch.segments.push({ exact: line.text, line: line.number });
        run = null;
      }
      batch.rows += 1;
      if (batch.rows >= ROWS_PER_BATCH && !run) {
        yield batch;
        batch = { source, segments: [], rows: 0 };
      }
    }
    if (batch.rows > 0) yield batch;
  }
}

/** A snapshot line that cannot be restored, named by file and line; the restore rolls back. */
export function snapshotLineError(file: string, line: number, table: string, why: string, cause: unknown): CairnError {
  return new CairnError(
    'E_SNAPSHOT',
    `${file}:${line}: a row of table ${table} cannot be restored: ${why}. The restore was rolled back; nothing was written`,
    { file, line, table },
    { cause },
  );
}
