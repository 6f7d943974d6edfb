import type { Env } from '../migrations/envsub.js';
import { schemaState } from '../migrations/plan.js';
import { reportOf, type LintReport } from '../lint/report.js';
import { lintPostgresFiles } from './lint.js';
import { planInput } from './plan-input.js';
import { openSession } from './session.js';
import { loadPostgresSource } from './source.js';
import { describeTarget, type PostgresTarget } from './target.js';

/**
 * `cairn lint` for a PostgreSQL store: the pending files against the
 * server's schema (or, with `all`, every file against an empty schema), in a
 * transaction that is always rolled back; see lint.ts.
 */
export async function lintPostgresStore(target: PostgresTarget, options: { all?: boolean; env?: Env } = {}): Promise<LintReport> {
  const session = await openSession(target, { env: options.env });
  try {
    if (options.all) {
      const { migrations } = loadPostgresSource(target, options.env);
      return reportOf(target.name, null, migrations, await lintPostgresFiles(session, target.schema, migrations, { scratch: true }));
    }
    const input = await planInput(session, target, options.env);
    const files = schemaState(input).pending;
    const findings = await lintPostgresFiles(session, target.schema, files, { scratch: input.fresh ? 'when-absent' : false });
    return reportOf(target.name, input.fresh ? null : describeTarget(target), files, findings);
  } finally {
    await session.end().catch(() => {});
  }
}
