import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_POLL_MS } from './defaults.js';
import type { TailRow } from './query.js';

const FOLLOW_BATCH = 1000;

/**
 * The `-f` loop both engines share: fetch rows with an id above the last
 * one seen, hand them over oldest first, and wait `pollMs` when caught up
 * (at once again when a full batch came back), until `signal` aborts.
 * Returns how many rows it handed over.
 */
export async function followRows(options: {
  after: TailRow['id'] | string;
  fetch: (after: TailRow['id'] | string, limit: number) => TailRow[] | Promise<TailRow[]>;
  onRows: (rows: TailRow[]) => void;
  pollMs?: number;
  signal?: AbortSignal;
}): Promise<number> {
  let after = options.after;
  let shown = 0;
  while (!options.signal?.aborted) {
    const rows = await options.fetch(after, FOLLOW_BATCH);
    if (rows.length) {
      after = (rows.at(-1) as TailRow).id;
      shown += rows.length;
      options.onRows(rows);
      if (rows.length === FOLLOW_BATCH) continue;
    }
    try {
      await sleep(options.pollMs ?? DEFAULT_POLL_MS, undefined, { signal: options.signal });
    } catch {
      break; // aborted
    }
  }
  return shown;
}
