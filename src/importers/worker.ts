import { parentPort, workerData } from 'node:worker_threads';
import { importModule } from '../config/load.js';
import { errorMessage, isCairnError } from '../errors.js';
import { isImportPlan } from './define.js';
import { IN_FLIGHT, type WorkerJob, type WorkerMessage } from './pipeline.js';
import { produceBatches } from './produce.js';

/** The worker side of workerBatches(): load the plan, then read and map, IN_FLIGHT batches ahead of the writer. */
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
    const mod = (await importModule(job.planFile)) as { default?: unknown };
    const plan = mod.default ?? mod;
    if (!isImportPlan(plan)) throw new Error(`${job.planFile} does not export an import plan`);
    for (const batch of produceBatches(plan, job.sources, job.context, job.batchRows)) {
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
