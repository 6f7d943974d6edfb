/**
 * An async function whose module loads on its first call. The library entry
 * re-exports the heavy operations (import, backfill, snapshots, doctor …)
 * through this, so an app that only opens its stores never loads their code:
 * every app start pays for what the entry loads (see bench/cold-start.mjs).
 */
export function lazy<A extends unknown[], R>(load: () => Promise<(...args: A) => Promise<R>>): (...args: A) => Promise<R> {
  return async (...args: A) => (await load())(...args);
}
