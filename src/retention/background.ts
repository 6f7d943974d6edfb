import type { ResolvedStore } from '../config/stores.js';
import { errorMessage } from '../errors.js';
import { pruneStore, type PruneResult } from './prune.js';

export interface BackgroundPruneOptions {
  /** Working time per pass, over all stores (default 500 ms): what is left waits for the next pass. */
  budgetMs?: number;
  /** Time between passes (default one hour); the first pass starts as soon as the app's startup has returned. */
  intervalMs?: number;
  /** Called after each store's prune. */
  onPrune?: (result: PruneResult) => void;
}

export interface BackgroundPrune {
  /** Stops the timer and waits for a pass in flight to end at its next batch boundary. */
  stop(): Promise<void>;
}

/**
 * The retention an app gets by declaring it: openStores() starts this for
 * its stores that declare `retention`. Each pass prunes them on a connection
 * of its own, in the same short batches as `cairn prune`, until the budget is
 * spent; the timer never keeps the process alive. A declaration mistake (a
 * time column that holds no times) is a warning, once per store, never an
 * exception in the app.
 */
export function startBackgroundPrune(stores: readonly ResolvedStore[], warn: (message: string) => void, options: BackgroundPruneOptions = {}): BackgroundPrune {
  const budgetMs = options.budgetMs ?? 500;
  const intervalMs = options.intervalMs ?? 3600_000;
  const controller = new AbortController();
  const warned = new Set<string>();
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;

  const pass = async (): Promise<void> => {
    const started = performance.now();
    for (const store of stores) {
      const left = budgetMs - (performance.now() - started);
      if (left <= 0 || controller.signal.aborted) return;
      try {
        // Pruned first, reported after: an optional call would skip evaluating its argument when no onPrune is given.
        const result = await pruneStore(store, { budgetMs: left, signal: controller.signal });
        options.onPrune?.(result);
      } catch (error) {
        if (warned.has(store.name)) continue;
        warned.add(store.name);
        warn(`retention of store ${store.name} was not applied: ${errorMessage(error)}`);
      }
    }
  };
  const schedule = (delay: number): void => {
    if (controller.signal.aborted) return;
    timer = setTimeout(() => {
      running = pass().finally(() => {
        running = null;
        schedule(intervalMs);
      });
    }, delay);
    timer.unref();
  };
  schedule(0);
  return {
    async stop() {
      controller.abort();
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
