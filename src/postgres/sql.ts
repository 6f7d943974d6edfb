import { CairnError, errorMessage } from '../errors.js';
import type { SqlOptions, SqlResult } from '../sql/run.js';
import { openSession } from './session.js';
import type { PostgresTarget } from './target.js';

/**
 * `cairn sql` on a PostgreSQL store: one statement in the store's schema
 * (search_path), inside a READ ONLY transaction unless `write`; the
 * server's refusal of the statement itself (a syntax error, a missing
 * table, a write in a read-only transaction, a value of the wrong type) is
 * the user's mistake, exit 64 with the server's words.
 */
export async function runPostgresSql(target: PostgresTarget, sql: string, params: readonly string[], options: SqlOptions): Promise<SqlResult> {
  const write = Boolean(options.write);
  const session = await openSession(target, { env: options.env, applicationName: 'cairn sql' });
  try {
    await session.query(write ? 'BEGIN' : 'BEGIN READ ONLY');
    try {
      const result = await session.table(sql, [...params]);
      await session.query(write ? 'COMMIT' : 'ROLLBACK');
      const reader = result.columns.length > 0;
      return { store: target.name, columns: result.columns, rows: result.rows, changes: reader ? null : (result.rowCount ?? 0), write };
    } catch (error) {
      await session.query('ROLLBACK').catch(() => {});
      throw statementRefused(target.name, error, write);
    }
  } finally {
    await session.end().catch(() => {});
  }
}

/**
 * SQLSTATE classes that are the statement's own fault: 22 data, 23
 * constraint, 25 (a write in READ ONLY), 42 syntax or access, 0A
 * unsupported; and 08P01, which is what the server says when the statement's
 * $n do not match the parameters given.
 */
const USER_CLASSES = ['22', '23', '25', '42', '0A', '08P01'];

function statementRefused(store: string, error: unknown, write: boolean): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !USER_CLASSES.some((c) => code.startsWith(c))) return error;
  const readOnly = code === '25006' && !write ? ' (cairn sql only reads unless --write; nothing was changed)' : '';
  return new CairnError(
    'E_USAGE',
    `${store}: the server refused the statement: ${errorMessage(error)}${readOnly}`,
    { store, sqlstate: code },
    { cause: error },
  );
}
