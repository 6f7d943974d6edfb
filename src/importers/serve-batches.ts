import { parentPort } from 'node:worker_threads';
import { errorMessage, isCairnError } from '../errors.js';
import { IN_FLIGHT, type WorkerMessage } from './pipeline.js';

/**
 * The worker side of threadBatches(): posts the producer's batches to the
 * main thread, at most IN_FLIGHT ahead of the writer (each batch taken sends
 * one credit back), then `end`, or the error that stopped it, with its code.
 */
export async function serveBatches<B>(produce: () => Promise<Iterable<B>> | Iterable<B>, transferOf: (batch: B) => ArrayBuffer[] = () => []): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('serveBatches() runs on a worker thread');
  let credits = IN_FLIGHT;
  let wake: (() => void) | null = null;
  port.on('message', () => {
    credits += 1;
    wake?.();
  });
  const send = (message: WorkerMessage<B>, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
  try {
    for (const batch of await produce()) {
      while (credits === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
      credits -= 1;
      send({ type: 'batch', batch }, transferOf(batch));
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
