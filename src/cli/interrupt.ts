import { StoppedError } from '../stopped.js';
import type { Io } from './io.js';

/** Exit codes a shell shows for a process ended by these signals; bin.ts ends the process by the signal a command returns. */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

export interface Interruptible {
  /** Aborted at the first SIGINT/SIGTERM (or io.signal): the work stops at its next batch boundary. */
  signal: AbortSignal;
  /** What stopped the work, or null when it ran to its end. */
  readonly stoppedBy: NodeJS.Signals | null;
  /** The exit code to end with: the signal's (130, 143) when stopped, else `code`. */
  exitCode(code: number): number;
  /** Removes the handlers; call when the work has ended, stopped or not. */
  dispose(): void;
}

/**
 * Ctrl-C (SIGINT) and SIGTERM for a long command (import, backfill, export,
 * restore): the first asks the work to stop at its next batch boundary (what
 * committed stays, the batch in flight commits or rolls back whole), says so
 * on stderr, and the command then prints what was done and how to go on. A
 * second signal ends the process at once, still safely (SQLite and the
 * server roll back an unfinished transaction), with the cursor a progress
 * bar hid shown again. Tests stop a command in-process through io.signal.
 */
export function interruptible(io: Io, what: string, outcome = 'what is written stays'): Interruptible {
  const controller = new AbortController();
  let stoppedBy: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stoppedBy !== null) return quitNow(io, signal);
    stoppedBy = signal;
    io.stderr.write(`\ncairn: ${signal}: stopping ${what} after the current batch; ${outcome} (press Ctrl-C again to quit at once)\n`);
    controller.abort();
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const onAbort = (): void => {
    stoppedBy ??= 'SIGINT';
    controller.abort();
  };
  io.signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    get stoppedBy() {
      return stoppedBy;
    },
    exitCode: (code) => (stoppedBy ? SIGNAL_EXIT[stoppedBy as keyof typeof SIGNAL_EXIT] : code),
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      io.signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** The second signal: the terminal gets its cursor back, and the process ends by the signal with its default action. */
function quitNow(io: Io, signal: NodeJS.Signals): void {
  if (io.stderr.isTTY) io.stderr.write('\x1b[?25h\n');
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}

/**
 * Awaits an all-or-nothing command's work (export, restore): a StoppedError
 * becomes null once `stoppedLine` has said what was left; `after` (the
 * progress bar's stop) and the handlers' removal run either way.
 */
export async function untilStopped<T>(io: Io, stop: Interruptible, work: Promise<T>, after: () => void, stoppedLine: string): Promise<T | null> {
  try {
    return await work;
  } catch (error) {
    if (!(error instanceof StoppedError)) throw error;
    io.stderr.write(`cairn: ${error.message}: ${stoppedLine}\n`);
    return null;
  } finally {
    after();
    stop.dispose();
  }
}
