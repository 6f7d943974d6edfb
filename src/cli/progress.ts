import cliProgress from 'cli-progress';
import { showsProgress, type Io } from './io.js';

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
  if (!showsProgress(io, options.json)) return silent;
  const bar = new cliProgress.SingleBar(
    { format, stream: io.stderr as NodeJS.WritableStream, hideCursor: true, clearOnComplete: true, fps: 5, etaBuffer: 50, formatTime: etaText },
    cliProgress.Presets.shades_classic,
  );
  // The first frame is drawn at once: a token with no value yet would be printed as written ({rows}).
  bar.start(Math.max(total, 1), 0, startingPayload(format));
  return {
    update: (value, payload) => bar.update(Math.min(value, Math.max(total, 1)), payload),
    stop: () => bar.stop(),
  };
}

/** The bar's own tokens; any other one in a format is the caller's payload. */
const BUILT_IN = new Set(['bar', 'percentage', 'value', 'total', 'eta', 'eta_formatted', 'duration', 'duration_formatted']);

/** Payload tokens that hold a name (shown as … until the first report); every other one is a count. */
const NAMES = new Set(['table', 'step', 'store']);

/** A starting value for each payload token of `format`: 0 for counts, … for names. */
export function startingPayload(format: string): Record<string, string | number> {
  const tokens = [...format.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string).filter((t) => !BUILT_IN.has(t));
  return Object.fromEntries(tokens.map((t) => [t, NAMES.has(t) ? '…' : 0]));
}

/**
 * Seconds as the rest of the CLI writes durations ("45 s", "3 min 20 s"); the
 * bar passes 'NULL' or 'INF' before it can estimate, shown as "…" (its own
 * formatter printed them as "NFs").
 */
export function etaText(value: unknown): string {
  // Before its first estimate the bar holds the string '0', which is not an estimate of zero.
  if (value === '0') return '…';
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) return '…';
  const whole = Math.round(seconds);
  return whole < 60 ? `${whole} s` : `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/** Rows written of a total, by table: what export, restore and each cutover phase report. */
export interface RowsProgress {
  table: string;
  rowsDone: number;
  rowsTotal: number;
}

/** A bar of rows (export, restore, a cutover phase), drawn at the first report; `label` names the phase. */
export function rowsBar(io: Io, options: { json?: boolean; label?: string } = {}): { update(p: RowsProgress): void; stop(): void } {
  let bar: ProgressBar | null = null;
  const label = options.label ? ` ${options.label}` : '';
  return {
    update: (p) => {
      bar ??= progressBar(io, p.rowsTotal, `${label} {bar} {percentage}% | {table} | {value}/{total} rows | ETA {eta_formatted}`, { json: options.json });
      bar.update(p.rowsDone, { table: p.table });
    },
    stop: () => bar?.stop(),
  };
}
