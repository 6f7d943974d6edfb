import { workerData } from 'node:worker_threads';
import { serveBatches } from '../importers/serve-batches.js';
import { produceRestoreBatches, type RestoreSource } from './restore-reader.js';

// Reads and decodes the snapshot's lines while the main thread inserts (restore.ts).
void serveBatches(() => produceRestoreBatches(workerData as RestoreSource[]));
