import { DEFAULT_TAIL_LINES } from '../tail/defaults.js';
import { followRows } from '../tail/follow.js';
import type { TailOptions } from '../tail/tail.js';
import { openSession, type PgSession } from './session.js';
import { buildPgTailQuery, lastPgRows, pgMaxId, pgRowsAfter } from './tail-query.js';
import type { PostgresTarget } from './target.js';

/**
 * `tail` on a PostgreSQL store: the last rows, then with `follow` each newer
 * one. Every poll is one statement in autocommit, so no transaction stays
 * open between polls (vacuum and migrations never wait on a tail), and the
 * session runs in UTC so times print the same wherever it runs.
 */
export async function tailPostgres(target: PostgresTarget, options: TailOptions): Promise<{ store: string; rows: number }> {
  const session = await openSession(target, { env: options.env, applicationName: `cairn tail ${target.name}` });
  let shown = 0;
  try {
    await session.query("SET TIME ZONE 'UTC'");
    const query = await buildPgTailQuery(session, target.schema, options.table, options, { idColumn: options.idColumn });
    const first = await lastPgRows(session, query, options.lines ?? DEFAULT_TAIL_LINES);
    shown += first.length;
    if (first.length) options.onRows(first, query, target.name);
    if (!options.follow) return { store: target.name, rows: shown };
    shown += await followRows({
      after: first.at(-1)?.id ?? (await pgMaxId(session, query)),
      fetch: (after, limit) => pgRowsAfter(session, query, after, limit),
      onRows: (rows) => options.onRows(rows, query, target.name),
      pollMs: options.pollMs,
      signal: options.signal,
    });
    return { store: target.name, rows: shown };
  } finally {
    await session.end().catch(() => {});
  }
}

/** Whether the store's schema has `table` (for finding the one store that holds it). */
export async function postgresHasTable(target: PostgresTarget, table: string, env?: NodeJS.ProcessEnv): Promise<boolean> {
  const session: PgSession = await openSession(target, { env, applicationName: `cairn tail ${target.name}` });
  try {
    const rows = await session.query(
      `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm')`,
      [target.schema, table],
    );
    return rows.length > 0;
  } finally {
    await session.end().catch(() => {});
  }
}
