import cliProgress from 'cli-progress';
import type { Io } from './io.js';

export interface ProgressBar {
  update(value: number, payload?: Record<string, unknown>): void;
  stop(): void;
}

const silent: ProgressBar = { update: () => undefined, stop: () => undefined };

/**
 * A progress bar on stderr, only when stderr is a terminal (never in pipes,
 * CI logs or --json runs), redrawn at most a few times a second.
 */
export function progressBar(io: Io, total: number, format: string, options: { json?: boolean } = {}): ProgressBar {
  if (!io.stderr.isTTY || options.json || io.env.CI) return silent;
  const bar = new cliProgress.SingleBar(
    { format, stream: io.stderr as NodeJS.WritableStream, hideCursor: true, clearOnComplete: true, fps: 5, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(total, 1), 0);
  return {
    update: (value, payload) => bar.update(Math.min(value, Math.max(total, 1)), payload),
    stop: () => bar.stop(),
  };
}
