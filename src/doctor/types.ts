/**
 * The doctor's report: a flat map of checks keyed by a stable id qualified by
 * its store (`state.integrity`), the shape support tooling reads from
 * `cairn doctor --json` (after the `codex doctor` report it grew from).
 */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'idle';

export type DetailValue = string | number | boolean | null;

export interface DoctorCheck {
  /** `<store>.<check>`, or `config` for the one check about the registry itself. */
  id: string;
  /** The store the check is about; null for `config`. */
  store: string | null;
  status: CheckStatus;
  /** One line. */
  summary: string;
  /** Key/value facts, in display order. */
  details: Record<string, DetailValue>;
  /** What to do, when the status is not ok. */
  remedy: string | null;
}

export interface DoctorReport {
  /** `fail` when any check fails, else `warn` when any warns, else `ok`. */
  overallStatus: 'ok' | 'warn' | 'fail';
  cairnVersion: string;
  generatedAt: string;
  elapsedMs: number;
  counts: Record<CheckStatus, number>;
  checks: Record<string, DoctorCheck>;
}

/** Where a check turns from ok to warn. The defaults are in DEFAULT_THRESHOLDS. */
export interface DoctorThresholds {
  /** A WAL file at least this big means checkpoints are not keeping up. */
  walWarnBytes: number;
  /** Warn about free pages past this share of the file … */
  freePageRatio: number;
  /** … when they also add up to at least this many bytes (small files are left alone). */
  freePageMinBytes: number;
  /** Free disk beside a store below its size plus this: a migration's backup copy would not fit. */
  diskHeadroomBytes: number;
  /** A `*.pre-cutover-*` file older than this many days is a leftover to delete. */
  cutoverBackupMaxAgeDays: number;
}

export const DEFAULT_THRESHOLDS: Readonly<DoctorThresholds> = {
  walWarnBytes: 64 * 1024 * 1024,
  freePageRatio: 0.25,
  freePageMinBytes: 16 * 1024 * 1024,
  diskHeadroomBytes: 64 * 1024 * 1024,
  cutoverBackupMaxAgeDays: 7,
};

export interface DoctorOptions {
  /** Only these stores (default: all). */
  stores?: readonly string[];
  /** Run `PRAGMA integrity_check` instead of `quick_check` (slower: also checks index contents). */
  full?: boolean;
  thresholds?: Partial<DoctorThresholds>;
  /** Show paths under the home directory as `~/…` (default true: reports get pasted into issues). */
  redactHome?: boolean;
  env?: NodeJS.ProcessEnv;
  now?: number;
  /** Only these checks (names such as `integrity`, `schema`), plus `snapshot` when one is given; default all. */
  checks?: readonly string[];
  /** Check this file in place of the store's own (one store only): a restored copy, a cutover's new file. */
  file?: string;
  /** A snapshot folder: adds a `snapshot` check that the rows match it line for line. */
  snapshot?: string;
  /** Called as each store's checks begin (a progress bar: `--full` reads every page of every store). */
  onStore?: (event: { store: string; index: number; total: number }) => void;
}
