import type { Env } from '../migrations/envsub.js';
import type { PlanInput } from '../migrations/plan.js';
import { detectPostgresForeignHistory } from './foreign-tables.js';
import { appObjectCount, hasHistory, readHistory } from './history.js';
import type { PgSession } from './session.js';
import { loadPostgresSource } from './source.js';
import type { PostgresTarget } from './target.js';

/** What planning reads from the server: the same PlanInput the SQLite engine builds, so one planner decides for both. */
export async function planInput(session: PgSession, target: PostgresTarget, env?: Env): Promise<PlanInput> {
  const managed = await hasHistory(session, target.schema);
  const applied = await readHistory(session, target.schema, managed);
  const fresh = applied.length === 0 && (await appObjectCount(session, target.schema)) === 0;
  const foreignHistory = applied.length === 0 && !fresh && !managed ? await detectPostgresForeignHistory(session, target.schema) : null;
  return { ...loadPostgresSource(target, env), applied, fresh, managed, foreignHistory };
}
