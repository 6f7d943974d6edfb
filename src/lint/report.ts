import { CairnError } from '../errors.js';
import type { Migration } from '../migrations/types.js';
import type { LintFinding } from './types.js';

export interface LintReport {
  store: string;
  /** The database whose schema the files were judged against, or null (an empty schema). */
  database: string | null;
  linted: { version: number; name: string }[];
  /** Code migrations (TS/JS): the lint cannot tell what code does, so they are listed here, not counted as linted. */
  notLinted: { version: number; name: string; reason: string }[];
  findings: LintFinding[];
  errors: number;
  warnings: number;
}

export function reportOf(store: string, database: string | null, files: readonly Migration[], findings: LintFinding[]): LintReport {
  return {
    store,
    database,
    linted: files.filter((m) => m.format !== 'module').map((m) => ({ version: m.version, name: m.name })),
    notLinted: files
      .filter((m) => m.format === 'module')
      .map((m) => ({
        version: m.version,
        name: m.name,
        reason: 'a code migration: the lint checks SQL only, and files after it are judged without knowing what it changed',
      })),
    findings,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
  };
}

/** migrate's gate: an error-level finding in a pending file is a refusal, before anything is written. */
export function assertLintClean(report: LintReport): void {
  const errors = report.findings.filter((f) => f.severity === 'error');
  if (errors.length === 0) return;
  const list = errors.map((f) => `${f.file}${f.line ? `:${f.line}` : ''}: [${f.rule}] ${f.message}`).join('; ');
  throw new CairnError(
    'E_LINT',
    `${report.store}: ${errors.length === 1 ? 'a pending migration' : 'pending migrations'} would fail or lose data: ${list}. Fix ${errors.length === 1 ? 'it' : 'them'} (cairn lint --store ${report.store} shows the fix), or migrate anyway with --force; nothing was changed.`,
    { store: report.store, findings: errors },
  );
}
