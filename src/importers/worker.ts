import { workerData } from 'node:worker_threads';
import { importModule } from '../config/load.js';
import { isBackfillJob } from '../backfill/define.js';
import { produceBackfillBatches } from '../backfill/produce.js';
import { isImportPlan } from './define.js';
import type { WorkerJob } from './pipeline.js';
import { produceBatches, type Batch } from './produce.js';
import { serveBatches } from './serve-batches.js';
import { copyBuffers, encodeGroups, type CopyColumns } from '../postgres/copy-text.js';

/** Loads the plan or job module named in the job and returns its batch producer. */
async function batchesOf(job: WorkerJob): Promise<Iterable<Batch>> {
  const file = job.kind === 'import' ? job.planFile : job.jobFile;
  const mod = (await importModule(file)) as { default?: unknown };
  const loaded = mod.default ?? mod;
  if (job.kind === 'import') {
    if (!isImportPlan(loaded)) throw new Error(`${file} does not export an import plan`);
    const batches = produceBatches(loaded, job.sources, job.context, job.batchRows);
    return job.copyColumns ? encodedForServer(batches, job.copyColumns) : batches;
  }
  if (!isBackfillJob(loaded)) throw new Error(`${file} does not export a backfill job`);
  return produceBackfillBatches(loaded, job.name, job.queue, job.context);
}

/** A server store's rows leave the worker as COPY text: encoding here runs beside the writer's thread, not on it. */
function* encodedForServer(batches: Iterable<Batch>, columns: CopyColumns): Iterable<Batch> {
  for (const batch of batches) {
    encodeGroups(batch.groups, columns);
    yield batch;
  }
}

// The worker side of workerBatches(): load the plan or job, then read and map ahead of the writer.
void serveBatches(
  () => batchesOf(workerData as WorkerJob),
  (batch) => copyBuffers(batch.groups),
);
