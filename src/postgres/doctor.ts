import path from 'node:path';
import { errorMessage } from '../errors.js';
import type { PostgresStore } from '../config/stores.js';
import { jobEntries, type DeclaredJobs } from '../backfill/status.js';
import { backfillCheck } from '../doctor/checks/backfill.js';
import { checkResult, skipped } from '../doctor/checks/result.js';
import { readPgJobStates } from './backfill-target.js';
import { schemaCheck } from '../doctor/checks/schema.js';
import { readSnapshot, snapshotVerdict } from '../doctor/checks/snapshot.js';
import { comparePgWithSnapshot } from './compare.js';
import type { DoctorCheck } from '../doctor/types.js';
import { postgresStatus } from './status.js';
import { openSession, type PgSession } from './session.js';
import { expandUrl, redactUrl } from './target.js';
import { plural } from '../words.js';

/** A transaction open this long while it holds a lock in the store's schema blocks migrations and vacuum. */
const LONG_TRANSACTION_MS = 5 * 60_000;

/**
 * The doctor's checks of a PostgreSQL store, in the same report shape as a
 * SQLite store's: `server` (reachable, version), `schema` (history against
 * the files, the same check as SQLite's), `lock` (a migrator holding the
 * store's advisory lock), `transactions` (long-open transactions holding
 * locks in the store's schema), `backfill` (each job's phase, as on SQLite).
 * Reads only.
 */
export async function postgresChecks(
  store: PostgresStore,
  options: { env?: NodeJS.ProcessEnv; now: number; wanted: (check: string) => boolean; snapshot?: string; jobs?: DeclaredJobs },
): Promise<DoctorCheck[]> {
  const name = store.name;
  let session: PgSession;
  try {
    session = await openSession(store, { env: options.env, applicationName: `cairn doctor ${name}` });
  } catch (error) {
    const failed = checkResult(name, 'server', 'fail', `cannot connect: ${errorMessage(error)}`, { server: safeUrl(store, options.env) }, reachRemedy(store));
    const rest = ['schema', 'lock', 'transactions', 'backfill', ...(options.snapshot !== undefined ? ['snapshot'] : [])];
    return [failed, ...rest.map((check) => skipped(name, check, 'the server cannot be reached (see server)'))].filter((c) =>
      options.wanted(c.id.slice(name.length + 1)),
    );
  }
  try {
    const checks: Array<[string, () => Promise<DoctorCheck>]> = [
      ['server', () => serverCheck(session, store, options.env)],
      [
        'schema',
        async () =>
          schemaCheck(
            { name, migrations: store.migrations, exists: await schemaExists(session, store.schema), absent: 'no schema yet', corrupt: false },
            await postgresStatus(store, { env: options.env }),
          ),
      ],
      ['lock', () => lockCheck(session, store)],
      ['transactions', () => transactionsCheck(session, store, options.now)],
      [
        'backfill',
        async () => {
          const { states, failed } = await readPgJobStates(session, store.schema);
          return backfillCheck(
            { store },
            jobEntries(states, (job) => failed.get(job) ?? [], name, options.jobs ?? new Map(), options.now),
          );
        },
      ],
    ];
    if (options.snapshot !== undefined) checks.push(['snapshot', () => snapshotCheckPg(session, store, path.resolve(options.snapshot as string))]);
    const out: DoctorCheck[] = [];
    for (const [check, run] of checks) {
      if (!options.wanted(check)) continue;
      try {
        out.push(await run());
      } catch (error) {
        out.push(
          checkResult(name, check, 'fail', `the check itself failed: ${errorMessage(error)}`, {}, 'Report this with the output of `cairn doctor --json`.'),
        );
      }
    }
    return out;
  } finally {
    await session.end().catch(() => {});
  }
}

/** The store's schema holds a snapshot's rows (the same verdict as a SQLite store's, under the target's types across engines). */
async function snapshotCheckPg(session: PgSession, store: PostgresStore, dir: string): Promise<DoctorCheck> {
  const read = readSnapshot(store.name, dir);
  if (!('manifest' in read)) return read.failed;
  return snapshotVerdict(store.name, dir, read.manifest, await comparePgWithSnapshot(session, store.schema, dir, read.manifest));
}

/** The server as support needs it (host, port, database), the password masked; the config's template when it cannot be expanded. */
function safeUrl(store: PostgresStore, env?: NodeJS.ProcessEnv): string {
  try {
    return redactUrl(expandUrl(store, env));
  } catch {
    return redactUrl(store.url);
  }
}

function reachRemedy(store: PostgresStore): string {
  return `Check that the server is up and that stores.${store.name}.url (and the variables it names) point at it with a user that may connect; \`cairn status --store ${store.name}\` shows the same error.`;
}

async function schemaExists(session: PgSession, schema: string): Promise<boolean> {
  const [row] = await session.query<{ present: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS present', [schema]);
  return row?.present === true;
}

async function serverCheck(session: PgSession, store: PostgresStore, env?: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const [row] = await session.query<{ version: string; num: number; db: string; usr: string }>(
    "SELECT current_setting('server_version') AS version, current_setting('server_version_num')::int AS num, current_database() AS db, current_user AS usr",
  );
  const details = { server: safeUrl(store, env), version: row?.version ?? 'unknown', database: row?.db ?? '', user: row?.usr ?? '', schema: store.schema };
  if ((row?.num ?? 0) < 140000) {
    return checkResult(
      store.name,
      'server',
      'warn',
      `PostgreSQL ${row?.version}: before 14, a killed migrator keeps the store's lock until its statement ends`,
      details,
      'Upgrade the server to PostgreSQL 14 or later (client_connection_check_interval).',
    );
  }
  return checkResult(store.name, 'server', 'ok', `PostgreSQL ${row?.version} · ${row?.db} as ${row?.usr}`, details);
}

async function lockCheck(session: PgSession, store: PostgresStore): Promise<DoctorCheck> {
  const holders = await session.query<{ pid: number; application_name: string; state: string; since: Date | null }>(
    `SELECT a.pid, a.application_name, a.state, a.backend_start AS since
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)`,
    [`cairn:migrate:${store.schema}`],
  );
  if (holders.length === 0) return checkResult(store.name, 'lock', 'ok', 'no migrator holds the store’s lock');
  const who = holders.map((h) => `pid ${h.pid} (${h.application_name || 'no application name'}, ${h.state})`).join(', ');
  return checkResult(
    store.name,
    'lock',
    'warn',
    `a migrator holds the store’s lock: ${who}`,
    { holders: who },
    'A migration is running; if it is stuck, end that session (SELECT pg_terminate_backend(pid)): the server releases the lock, and an interrupted NO TRANSACTION file is reported by the next migrate.',
  );
}

async function transactionsCheck(session: PgSession, store: PostgresStore, now: number): Promise<DoctorCheck> {
  const rows = await session.query<{ pid: number; application_name: string; state: string; xact_start: Date; query: string }>(
    `SELECT DISTINCT a.pid, a.application_name, a.state, a.xact_start, left(a.query, 120) AS query
     FROM pg_locks l
     JOIN pg_class c ON c.oid = l.relation
     JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE n.nspname = $1 AND a.pid <> pg_backend_pid() AND a.xact_start IS NOT NULL`,
    [store.schema],
  );
  const long = rows.filter((r) => now - r.xact_start.getTime() >= LONG_TRANSACTION_MS);
  if (long.length === 0) return checkResult(store.name, 'transactions', 'ok', `no transaction has held a lock in schema ${store.schema} for 5 minutes or more`);
  const list = long
    .map((r) => `pid ${r.pid} (${r.application_name || 'no application name'}, ${r.state}, open ${Math.round((now - r.xact_start.getTime()) / 60_000)} min)`)
    .join('; ');
  return checkResult(
    store.name,
    'transactions',
    'warn',
    `${plural(long.length, 'long-open transaction')} ${long.length === 1 ? 'holds' : 'hold'} locks in schema ${store.schema}: ${list}`,
    { transactions: list },
    'A migration that needs those tables waits behind them. Finish or end them (an app left "idle in transaction" is the usual cause): SELECT pg_terminate_backend(pid).',
  );
}
