import { Worker } from 'node:worker_threads';
import { CairnError, type CairnErrorCode } from '../errors.js';
import type { ImportPlan, MapContext } from './define.js';
import { produceBatches, type Batch } from './produce.js';
import type { ResolvedSource } from './sources.js';

/** Batches waiting on the writer; bounds memory when reading outruns writing. */
export const IN_FLIGHT = 4;

export interface WorkerJob {
  planFile: string;
  sources: ResolvedSource[];
  context: MapContext;
  batchRows?: number;
}

export type WorkerMessage =
  { type: 'batch'; batch: Batch } | { type: 'end' } | { type: 'error'; message: string; code?: string; details?: Record<string, unknown> };

/**
 * Reading, parsing and mapping on the main thread, yielding to the event loop
 * between batches: for plans passed as objects (their `map` cannot be sent to
 * a worker).
 */
export async function* inlineBatches(plan: ImportPlan, sources: ResolvedSource[], context: MapContext): AsyncGenerator<Batch> {
  for (const batch of produceBatches(plan, sources, context)) {
    yield batch;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Reading, parsing and mapping on a worker thread while the main thread
 * writes, so the two overlap (the import's speed is then bounded by SQLite,
 * not by JSON.parse). The worker loads the plan module itself. At most
 * IN_FLIGHT batches wait in the queue: the worker pauses until the writer
 * takes one, so memory stays flat however large the input.
 */
export async function* workerBatches(job: WorkerJob): AsyncGenerator<Batch> {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: job });
  const queue: WorkerMessage[] = [];
  let wake: (() => void) | null = null;
  let exited: Error | null = null;
  worker.on('message', (message: WorkerMessage) => {
    queue.push(message);
    wake?.();
  });
  worker.on('error', (error) => {
    exited = error;
    wake?.();
  });
  worker.on('exit', (code) => {
    if (code !== 0 && !exited) exited = new Error(`the import worker stopped with exit code ${code}`);
    wake?.();
  });
  try {
    for (;;) {
      while (queue.length === 0) {
        if (exited) throw exited;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
      const message = queue.shift() as WorkerMessage;
      if (message.type === 'end') return;
      if (message.type === 'error') {
        if (message.code) throw new CairnError(message.code as CairnErrorCode, message.message, message.details ?? {});
        throw new Error(message.message);
      }
      worker.postMessage('credit');
      yield message.batch;
    }
  } finally {
    await worker.terminate();
  }
}
