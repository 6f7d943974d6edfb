import type { RecordOrigin } from '../importers/define.js';
import type { Outcome } from '../importers/outcome.js';
import { rowObject } from '../importers/outcome.js';
import type { RejectEntry } from '../importers/produce.js';
import type { BackfillBatch } from './produce.js';
import type { ItemPosition } from './state.js';
import type { RejectsLedger } from './rejects-ledger.js';

/** An item's row as a checkpoint leaves it: its position, and its totals so far. */
export interface ItemWrite extends ItemPosition {
  rows: number;
  rejected: number;
  error: string | null;
}

/** What an item's row held before this checkpoint, as far as the counters care. */
export interface ItemBefore {
  status: string;
  rows: number;
  rejected: number;
}

export interface CheckpointPlan {
  /** Lines for the rejects ledger: the batch's unreadable input, then the rows the store refused. */
  entries: RejectEntry[];
  items: ItemWrite[];
  /** How the job's counters move (never recounted: a checkpoint costs the same at item 10 and at item 1,000,000). */
  delta: { done: number; failed: number; rows: number; rejected: number };
  /** The largest watermark of an item this batch finished, or null. */
  lastDone: string | null;
}

/**
 * What one batch's checkpoint writes, the same on either engine: each item's
 * totals (from the start for an item read again from its first byte, else
 * added to what earlier batches recorded) and the job's counter deltas.
 * `before` reads an item's row as the transaction sees it; an item in two
 * slices of one batch sees its first slice's totals.
 */
export function planCheckpoint(batch: BackfillBatch, outcome: Outcome<RecordOrigin>, before: (watermark: string) => ItemBefore | undefined): CheckpointPlan {
  const rowRejects: RejectEntry[] = outcome.rejects.map(([row, reason]) => ({ ...row.origin, table: row.table, reason, row: rowObject(row) }));
  const rowRejectsByFile = new Map<string, number>();
  for (const entry of rowRejects) rowRejectsByFile.set(entry.file, (rowRejectsByFile.get(entry.file) ?? 0) + 1);
  const seen = new Map<string, ItemBefore>();
  const items: ItemWrite[] = [];
  const delta = { done: 0, failed: 0, rows: 0, rejected: 0 };
  let lastDone: string | null = null;
  for (const item of batch.items) {
    const rowRejected = rowRejectsByFile.get(item.file) ?? 0;
    rowRejectsByFile.delete(item.file); // counted once, on the item's first slice in this batch
    const rows = item.rows - rowRejected;
    const rejected = item.rejected + rowRejected;
    const old = seen.get(item.watermark) ?? before(item.watermark);
    const restart = item.fromStart || !old;
    const total = { rows: restart ? rows : (old?.rows ?? 0) + rows, rejected: restart ? rejected : (old?.rejected ?? 0) + rejected };
    items.push({
      watermark: item.watermark,
      file: item.file,
      status: item.status,
      size: item.size,
      mtime: item.mtime,
      offset: item.offset,
      line: item.line,
      tailSha256: item.tailSha256,
      error: item.error,
      ...total,
    });
    seen.set(item.watermark, { status: item.status, ...total });
    delta.done += (item.status === 'done' ? 1 : 0) - (old?.status === 'done' ? 1 : 0);
    delta.failed += (item.status === 'failed' ? 1 : 0) - (old?.status === 'failed' ? 1 : 0);
    delta.rows += total.rows - (old?.rows ?? 0);
    delta.rejected += total.rejected - (old?.rejected ?? 0);
    if (item.status !== 'partial' && (lastDone === null || item.watermark > lastDone)) lastDone = item.watermark;
  }
  return { entries: [...batch.rejects, ...rowRejects], items, delta, lastDone };
}

/**
 * Appends a batch's lines to the ledger and returns its length after them.
 * If a batch's checkpoint runs twice (its COMMIT failed on a deferred
 * constraint and the writer redid it row by row), the first attempt's lines
 * are taken back first.
 */
export function ledgerAppender(ledger: RejectsLedger): (batch: BackfillBatch, entries: readonly RejectEntry[]) => number {
  const start = new WeakMap<BackfillBatch, number>();
  return (batch, entries) => {
    const at = start.get(batch);
    if (at === undefined) start.set(batch, ledger.bytes);
    else ledger.truncate(at);
    return ledger.append(entries);
  };
}
