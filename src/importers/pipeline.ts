import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { CairnError, type CairnErrorCode } from '../errors.js';
import type { BackfillContext } from '../backfill/define.js';
import type { WorkItem } from '../backfill/produce.js';
import type { ImportPlan, MapContext } from './define.js';
import type { CopyColumns } from '../postgres/copy-text.js';
import { produceBatches, type Batch } from './produce.js';
import type { ResolvedSource } from './sources.js';

/** Batches waiting on the writer; bounds memory when reading outruns writing. */
export const IN_FLIGHT = 4;

/** What a worker reads and maps: an import plan's sources, or a backfill job's queue of items. */
export type WorkerJob =
  | { kind: 'import'; planFile: string; sources: ResolvedSource[]; context: MapContext; batchRows?: number; copyColumns?: CopyColumns }
  | { kind: 'backfill'; jobFile: string; name: string; queue: WorkItem[]; context: BackfillContext };

export type WorkerMessage<B = Batch> =
  { type: 'batch'; batch: B } | { type: 'end' } | { type: 'error'; message: string; code?: string; details?: Record<string, unknown> };

/**
 * Whether reading and mapping go to a worker thread: when asked, or by
 * default when this process may run on a second core. On one core (a small
 * VM, `taskset -c 0`) the worker only adds copying between threads and
 * contention, so the work stays on the calling thread.
 */
export function useWorker(asked: boolean | undefined): boolean {
  return asked ?? os.availableParallelism() > 1;
}

/** An import's batches on the calling thread, for plans passed as objects. */
export function inlineBatches(plan: ImportPlan, sources: ResolvedSource[], context: MapContext): AsyncGenerator<Batch> {
  return yieldingBatches(produceBatches(plan, sources, context));
}

/**
 * Yields a synchronous producer's batches, letting the event loop run
 * between them (a plan or job passed as an object, whose functions cannot
 * be sent to a worker).
 */
export async function* yieldingBatches<B>(batches: Iterable<B>): AsyncGenerator<B> {
  for (const batch of batches) {
    yield batch;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Reading, parsing and mapping on a worker thread while the main thread
 * writes, so the two overlap (the import's speed is then bounded by SQLite,
 * not by JSON.parse). The worker loads the plan module itself.
 */
export function workerBatches<B extends Batch = Batch>(job: WorkerJob): AsyncGenerator<B> {
  return threadBatches<B>(new URL('./worker.js', import.meta.url), job);
}

/**
 * Runs `script` (which calls serveBatches()) on a worker thread with `data`
 * and yields the batches it posts. At most IN_FLIGHT batches wait in the
 * queue: the worker pauses until the writer takes one, so memory stays flat
 * however large the input. The worker is stopped when the caller stops.
 */
export async function* threadBatches<B>(script: URL, data: unknown): AsyncGenerator<B> {
  // A small young generation: the worker makes short-lived strings and objects by the million (a line, its parsed
  // value, its row), and scavenging 8 MB that stays in cache cost less CPU and memory than V8's default in the
  // agent-history bench (1M lines: 14.6–15.7 s of CPU and 237–258 MB peak, against 17.2–18.1 s and 260–282 MB).
  const worker = new Worker(script, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
  const queue: WorkerMessage<B>[] = [];
  let wake: (() => void) | null = null;
  let exited: Error | null = null;
  worker.on('message', (message: WorkerMessage<B>) => {
    queue.push(message);
    wake?.();
  });
  worker.on('error', (error) => {
    exited = error;
    wake?.();
  });
  worker.on('exit', (code) => {
    if (code !== 0 && !exited) exited = new Error(`the worker thread stopped with exit code ${code}`);
    wake?.();
  });
  try {
    for (;;) {
      while (queue.length === 0) {
        if (exited) throw exited;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
      const message = queue.shift() as WorkerMessage<B>;
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
