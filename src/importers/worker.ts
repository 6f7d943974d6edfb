import { parentPort, workerData } from 'node:worker_threads';
import { importModule } from '../config/load.js';
import { errorMessage, isCairnError } from '../errors.js';
import { isBackfillJob } from '../backfill/define.js';
import { produceBackfillBatches } from '../backfill/produce.js';
import { isImportPlan } from './define.js';
import type { Batch } from './produce.js';
import { IN_FLIGHT, type WorkerJob, type WorkerMessage } from './pipeline.js';
import { produceBatches } from './produce.js';

/** Loads the plan or job module named in the job and returns its batch producer. */
async function batchesOf(job: WorkerJob): Promise<Iterable<Batch>> {
  const file = job.kind === 'import' ? job.planFile : job.jobFile;
  const mod = (await importModule(file)) as { default?: unknown };
  const loaded = mod.default ?? mod;
  if (job.kind === 'import') {
    if (!isImportPlan(loaded)) throw new Error(`${file} does not export an import plan`);
    return produceBatches(loaded, job.sources, job.context, job.batchRows);
  }
  if (!isBackfillJob(loaded)) throw new Error(`${file} does not export a backfill job`);
  return produceBackfillBatches(loaded, job.name, job.queue, job.context);
}

/** The worker side of workerBatches(): load the plan or job, then read and map, IN_FLIGHT batches ahead of the writer. */
async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('worker.js runs as a worker thread');
  const job = workerData as WorkerJob;
  let credits = IN_FLIGHT;
  let wake: (() => void) | null = null;
  port.on('message', () => {
    credits += 1;
    wake?.();
  });
  const send = (message: WorkerMessage): void => port.postMessage(message);
  try {
    for (const batch of await batchesOf(job)) {
      while (credits === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
      credits -= 1;
      send({ type: 'batch', batch });
    }
    send({ type: 'end' });
  } catch (error) {
    send(
      isCairnError(error)
        ? { type: 'error', message: error.message, code: error.code, details: error.details }
        : { type: 'error', message: errorMessage(error) },
    );
  }
  // Nothing else keeps the thread alive once the credit listener is gone; messages already posted are still delivered.
  port.removeAllListeners('message');
  port.unref();
}

void main();
