import { errorMessage } from '../errors.js';
import type { MapFn, MapResult } from '../importers/define.js';
import { BatchBuilder, handleItem, type Batch } from '../importers/produce.js';
import { irregularKind } from '../importers/irregular.js';
import { isInside } from '../sqlite/files.js';
import { readLines } from '../importers/read-lines.js';
import { jsonlItem } from '../importers/sources.js';
import { DEFAULT_BATCH_ITEMS, DEFAULT_BATCH_ROWS, type BackfillContext, type BackfillItem, type BackfillJob } from './define.js';
import { fingerprintOf, tailHash } from './items.js';
import type { ItemPosition } from './state.js';

/** Why an item is read in this run. */
export type WorkReason = 'new' | 'resumed' | 'grown' | 'changed' | 'retried';

/** An item to read, and where to start. */
export interface WorkItem extends BackfillItem {
  start: number;
  startLine: number;
  reason: WorkReason;
}

/** How far one item got in one batch: what the checkpoint records for it. */
export interface ItemProgress extends ItemPosition {
  /** This slice started at byte 0: the item's counters restart. */
  fromStart: boolean;
  rows: number;
  rejected: number;
  error: string | null;
}

export interface BackfillBatch extends Batch {
  items: ItemProgress[];
}

/**
 * Reads work items in order and cuts batches at `batchSize` items or
 * `batchRows` rows, whichever comes first; a big item is cut at a line
 * boundary and its offset recorded, so a batch's memory is bounded however
 * large one file is. Pure with respect to the DB.
 */
export function* produceBackfillBatches(job: BackfillJob, name: string, queue: readonly WorkItem[], context: BackfillContext): Generator<BackfillBatch> {
  const batchItems = job.batchSize ?? DEFAULT_BATCH_ITEMS;
  const batchRows = job.batchRows ?? DEFAULT_BATCH_ROWS;
  const mapContext = context;
  let builder = new BatchBuilder();
  let items: ItemProgress[] = [];
  let itemsDone = 0;
  const cut = (): BackfillBatch => {
    const batch = { ...builder.batch, items };
    builder = new BatchBuilder();
    items = [];
    itemsDone = 0;
    return batch;
  };

  for (const work of queue) {
    const item: BackfillItem = { file: work.file, watermark: work.watermark };
    const progress: ItemProgress = {
      watermark: work.watermark,
      file: work.file,
      status: 'partial',
      size: 0,
      mtime: '0',
      offset: work.start,
      line: work.startLine,
      tailSha256: null,
      fromStart: work.start === 0,
      rows: 0,
      rejected: 0,
      error: null,
    };
    const map: MapFn = (record) => checked(job.map({ source: record.source, file: record.file, line: record.line ?? 0, value: record.value, item }, context));
    try {
      // Never opened unless it is a regular file: a FIFO would block the read forever.
      const irregular = irregularKind(work.file);
      if (irregular) throw new Error(`${irregular}, not a regular file`);
      // A glob's match is data on disk: a link inside the history folder that leads out of it is not followed.
      if (typeof job.items !== 'function' && !isInside(context.root, work.file))
        throw new Error(`it leads outside the history folder ${context.root} (a link); not read`);
      const fingerprint = fingerprintOf(work.file);
      progress.size = fingerprint.size;
      progress.mtime = fingerprint.mtime;
      for (const line of readLines(work.file, { start: work.start, startLine: work.startLine })) {
        const rowsBefore = builder.batch.rowCount;
        const rejectsBefore = builder.batch.rejects.length;
        const source = jsonlItem({ source: name, file: work.file }, line);
        handleItem(builder, source, map, mapContext);
        progress.rows += builder.batch.rowCount - rowsBefore;
        progress.rejected += builder.batch.rejects.length - rejectsBefore;
        // A last line cut short may still be being written: stay before it, so a refresh reads it again once whole.
        if (!(source.kind === 'reject' && line.unterminated)) {
          progress.offset = line.end;
          progress.line = line.number;
        }
        if (builder.batch.rowCount >= batchRows) {
          items.push({ ...progress, size: Math.max(progress.size, progress.offset) });
          yield cut();
          progress.fromStart = false;
          progress.rows = 0;
          progress.rejected = 0;
        }
      }
      progress.status = 'done';
      progress.size = Math.max(progress.size, progress.offset);
      progress.tailSha256 = tailHash(work.file, progress.offset);
    } catch (error) {
      // Unreadable (gone, no permission, an I/O error): recorded and skipped; a later run retries it.
      progress.status = 'failed';
      progress.error = errorMessage(error);
      progress.rejected += 1;
      builder.batch.rejects.push({ source: name, file: work.file, reason: `the item could not be read (skipped; a later run retries it): ${progress.error}` });
    }
    items.push(progress);
    itemsDone += 1;
    if (itemsDone >= batchItems) yield cut();
  }
  if (items.length > 0 || builder.batch.rowCount > 0 || builder.batch.rejects.length > 0) yield cut();
}

/** A backfill map result takes rows only (copies are an import's business). */
function checked(result: ReturnType<BackfillJob['map']>): MapResult | null | undefined {
  if (result && typeof result === 'object' && 'copies' in result) throw new Error('a backfill map returns { rows } only; copies belong in an import plan');
  return result;
}
