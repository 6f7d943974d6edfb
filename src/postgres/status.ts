import { errorMessage, isCairnError } from '../errors.js';
import type { Env } from '../migrations/envsub.js';
import { emptyStatus, refusalOf, statusFrom, type StoreStatus } from '../migrations/status-report.js';
import { readInterruptedOutsideLock } from './history.js';
import { interruptedError } from './migrate.js';
import { planInput } from './plan-input.js';
import { openSession } from './session.js';
import { describeTarget, type PostgresTarget } from './target.js';

/**
 * `cairn status` for a PostgreSQL store: the same report as a SQLite store's,
 * from the same rules (statusFrom). Reads only: no schema or table is created.
 */
export async function postgresStatus(target: PostgresTarget, options: { env?: Env } = {}): Promise<StoreStatus> {
  const where = describeTarget(target);
  const base = emptyStatus(target.name, where, false);
  try {
    const session = await openSession(target, { env: options.env });
    try {
      const [schema] = await session.query<{ present: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS present', [target.schema]);
      const input = await planInput(session, target, options.env);
      const interrupted = await readInterruptedOutsideLock(session, target.schema);
      const store = { name: target.name, file: where, allowOutOfOrder: target.allowOutOfOrder };
      return {
        ...base,
        exists: schema?.present === true,
        ...statusFrom(input, interrupted, refusalOf(store, input, interrupted ? interruptedError(target, interrupted) : null)),
      };
    } finally {
      await session.end().catch(() => {});
    }
  } catch (error) {
    return { ...base, error: { code: isCairnError(error) ? error.code : 'E_UNEXPECTED', message: errorMessage(error) } };
  }
}
