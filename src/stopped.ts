/**
 * What an all-or-nothing operation (a restore) throws when its `signal`
 * asks it to stop: everything it did was rolled back, and the target is as
 * it was. The CLI reports it and ends by the signal; it is not a failure.
 */
export class StoppedError extends Error {
  constructor(what: string) {
    super(`${what} stopped before it finished; everything it wrote was rolled back`);
    this.name = 'StoppedError';
  }
}

/** Throws StoppedError once `signal` has fired; call at the operation's batch boundaries. */
export function throwIfStopped(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new StoppedError(what);
}
