import type { MigrationPlan, Step } from './plan.js';
import type { MigrationStatement } from './types.js';

/** A step as `--dry-run --json` shows it: the statements exactly as they would run. */
export interface PlannedStep {
  kind: Step['kind'];
  version: number;
  name: string;
  transaction: boolean;
  statements: string[];
}

export function describeStep(step: Step, options: { expandEnv?: boolean } = {}): PlannedStep {
  // ENVSUB values (credentials, often) are shown as the file writes them, ${NAME}, unless asked for.
  const shown = (statements: readonly MigrationStatement[]): string[] => statements.map((s) => (options.expandEnv ? s.sql : (s.template ?? s.sql)));
  switch (step.kind) {
    case 'rename':
      return { kind: 'rename', version: step.to.version, name: step.to.name, transaction: true, statements: [] };
    case 'accept-edit':
      return { kind: 'accept-edit', version: step.migration.version, name: step.migration.name, transaction: true, statements: [] };
    case 'baseline':
      return { kind: 'baseline', version: step.version, name: step.name, transaction: true, statements: shown(step.statements) };
    case 'up':
      return {
        kind: 'up',
        version: step.migration.version,
        name: step.migration.name,
        transaction: step.migration.useTransaction,
        statements: step.migration.format === 'module' ? [`-- runs up(db) from ${step.migration.name}`] : shown(step.migration.up),
      };
    case 'down':
      return {
        kind: 'down',
        version: step.migration.version,
        name: step.migration.name,
        transaction: step.migration.useTransaction,
        statements: step.migration.format === 'module' ? [`-- runs down(db) from ${step.migration.name}`] : shown(step.migration.down ?? []),
      };
  }
}

/** The version a plan ends at. */
export function targetOf(plan: MigrationPlan): number | null {
  const last = plan.steps.at(-1);
  if (!last) return plan.state.current;
  if (last.kind === 'down') {
    const remaining = plan.state.applied.filter((a) => !plan.steps.some((s) => s.kind === 'down' && s.migration.version === a.version));
    return remaining.at(-1)?.version ?? null;
  }
  return Math.max(plan.state.current ?? -Infinity, ...plan.steps.map((s) => describeStep(s).version));
}
