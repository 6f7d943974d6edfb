import os from 'node:os';
import { ledgerAppender, planCheckpoint, type ItemBefore, type ItemWrite } from '../backfill/checkpoint-plan.js';
import type { RejectsLedger } from '../backfill/rejects-ledger.js';
import { leaseIsLive, toItemRecord, toJobState, type JobState } from '../backfill/state.js';
import { leaseLostError, type BackfillTarget, type Checkpoint, type Lease } from '../backfill/target.js';
import type { PostgresStore } from '../config/stores.js';
import type { RecordOrigin } from '../importers/define.js';
import type { Env } from '../migrations/envsub.js';
import { PgRowWriter } from './row-writer.js';
import { inTransaction, openSession, type PgSession } from './session.js';
import { describeTarget, quotePgIdent as qi } from './target.js';
import { assertPgWritable } from './write-target.js';

/**
 * cairn_backfill_state and cairn_backfill_items in the store's schema, as on
 * SQLite: one row per job, one per item read. Watermarks compare in the C
 * collation (byte order), as SQLite and the job's own sort compare them,
 * whatever the database's default collation.
 */
function stateTables(schema: string): string[] {
  const s = qi(schema);
  return [
    `CREATE TABLE IF NOT EXISTS ${s}.cairn_backfill_state (
      job text PRIMARY KEY,
      status text NOT NULL CHECK (status IN ('pending', 'running', 'complete')),
      last_watermark text COLLATE "C",
      items_done bigint NOT NULL DEFAULT 0,
      items_failed bigint NOT NULL DEFAULT 0,
      rows_done bigint NOT NULL DEFAULT 0,
      rejected bigint NOT NULL DEFAULT 0,
      rejects_file text,
      rejects_bytes bigint NOT NULL DEFAULT 0,
      started_at text,
      last_success_at text,
      updated_at text NOT NULL,
      lease_owner text,
      lease_expires_at bigint
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.cairn_backfill_items (
      job text NOT NULL,
      watermark text COLLATE "C" NOT NULL,
      file text NOT NULL,
      status text NOT NULL CHECK (status IN ('partial', 'done', 'failed')),
      size bigint NOT NULL,
      mtime text NOT NULL,
      "offset" bigint NOT NULL,
      line bigint NOT NULL,
      tail_sha256 text,
      rows bigint NOT NULL DEFAULT 0,
      rejected bigint NOT NULL DEFAULT 0,
      error text,
      updated_at text NOT NULL,
      PRIMARY KEY (job, watermark)
    )`,
  ];
}

/** Makes the backfill tables in `schema` when missing (a first run, or a restore of a snapshot that carries them). */
export async function ensurePgStateTables(session: PgSession, schema: string): Promise<void> {
  for (const ddl of stateTables(schema)) await session.query(ddl);
}

/**
 * A backfill into a PostgreSQL store: the rows, each item's position and
 * the job's counters commit in one server transaction. The lease is a row
 * taken under a row lock, so two runs of one job on two machines against
 * one server agree on exactly one holder; the other is told who it is.
 */
export function pgBackfillTarget(store: PostgresStore, env: Env | undefined): BackfillTarget {
  const s = qi(store.schema);
  let opened: Promise<PgSession> | null = null;
  const session = (): Promise<PgSession> => (opened ??= openSession(store, { env, applicationName: `cairn backfill ${store.name}` }));
  return {
    where: describeTarget(store),
    rejectsId: (file) => `${os.hostname()}:${file}`,
    async readJobState(job) {
      const db = await session();
      const [present] = await db.query<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`${s}.cairn_backfill_state`]);
      if (!present?.ok) return null;
      const [row] = await db.query(`SELECT * FROM ${s}.cairn_backfill_state WHERE job = $1`, [job]);
      return row ? toJobState(row) : null;
    },
    async assertWritable(migrate) {
      return (await assertPgWritable(store, { migrate, createAbsent: false, verb: 'backfilling into', env })).warnings;
    },
    async acquireLease(job, owner, leaseMs, now, rejectsFile) {
      const db = await session();
      return inTransaction(db, async (): Promise<Lease> => {
        // One lease taker per schema at a time: two first runs must not both create the tables, or both read "free".
        await db.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`cairn:backfill:${store.schema}`]);
        await ensurePgStateTables(db, store.schema);
        const [row] = await db.query(`SELECT * FROM ${s}.cairn_backfill_state WHERE job = $1 FOR UPDATE`, [job]);
        const state = row ? toJobState(row) : null;
        if (state && leaseIsLive(state, now)) return { busy: state };
        const at = new Date(now).toISOString();
        await db.query(
          `INSERT INTO ${s}.cairn_backfill_state AS st (job, status, started_at, updated_at, lease_owner, lease_expires_at, rejects_file)
           VALUES ($1, 'running', $2, $2, $3, $4, $5)
           ON CONFLICT (job) DO UPDATE SET status = 'running', started_at = coalesce(st.started_at, excluded.started_at),
             updated_at = excluded.updated_at, lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at,
             rejects_file = excluded.rejects_file,
             rejects_bytes = CASE WHEN st.rejects_file IS NOT DISTINCT FROM excluded.rejects_file THEN st.rejects_bytes ELSE 0 END`,
          [job, at, owner, now + leaseMs, rejectsFile],
        );
        return { state };
      });
    },
    async readItemRecords(job) {
      const rows = await (
        await session()
      ).query(`SELECT watermark, file, status, size, mtime, "offset", line, tail_sha256, error FROM ${s}.cairn_backfill_items WHERE job = $1`, [job]);
      return new Map(rows.map((r) => [r.watermark as string, toItemRecord(r)]));
    },
    openWriter: async (mode) => PgRowWriter.open<RecordOrigin>(await session(), store.schema, { mode, holdBack: false }),
    checkpointer: (job, owner, leaseMs, clock, ledger) => checkpointer(session, s, job, owner, leaseMs, clock, ledger),
    async completeJob(job, owner, now) {
      const at = new Date(now).toISOString();
      await (
        await session()
      ).query(`UPDATE ${s}.cairn_backfill_state SET status = 'complete', last_success_at = $1, updated_at = $1 WHERE job = $2 AND lease_owner = $3`, [
        at,
        job,
        owner,
      ]);
    },
    async releaseLease(job, owner, now) {
      try {
        await (
          await session()
        ).query(
          `UPDATE ${s}.cairn_backfill_state SET lease_owner = NULL, lease_expires_at = NULL,
             status = CASE WHEN status = 'running' THEN 'pending' ELSE status END, updated_at = $1 WHERE job = $2 AND lease_owner = $3`,
          [new Date(now).toISOString(), job, owner],
        );
      } catch {
        // The server is failing (the reason we are unwinding); the lease expires on its own.
      }
    },
    async close() {
      if (opened) await (await opened.catch(() => null))?.end().catch(() => {});
    },
  };
}

/** Every job's state in a server store, with each job's unreadable items (the first 20), for `backfill --status`. Creates nothing. */
export async function readPgJobs(
  store: PostgresStore,
  env: Env | undefined,
): Promise<{ states: JobState[]; failed: Map<string, { file: string; error: string }[]> }> {
  const session = await openSession(store, { env, applicationName: `cairn backfill ${store.name}` });
  try {
    return await readPgJobStates(session, store.schema);
  } finally {
    await session.end().catch(() => {});
  }
}

/** readPgJobs on a session the caller holds (the doctor's). */
export async function readPgJobStates(
  session: PgSession,
  schema: string,
): Promise<{ states: JobState[]; failed: Map<string, { file: string; error: string }[]> }> {
  const s = qi(schema);
  const [present] = await session.query<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`${s}.cairn_backfill_state`]);
  if (!present?.ok) return { states: [], failed: new Map() };
  const states = (await session.query(`SELECT * FROM ${s}.cairn_backfill_state ORDER BY job`)).map(toJobState);
  const failed = new Map<string, { file: string; error: string }[]>();
  const rows = await session.query<{ job: string; file: string; error: string | null }>(
    `SELECT job, file, error FROM (SELECT job, file, error, watermark, row_number() OVER (PARTITION BY job ORDER BY watermark) AS n
       FROM ${s}.cairn_backfill_items WHERE status = 'failed') f WHERE n <= 20 ORDER BY job, watermark`,
  );
  for (const r of rows) failed.set(r.job, [...(failed.get(r.job) ?? []), { file: r.file, error: r.error ?? '' }]);
  return { states, failed };
}

/** The checkpoint as on SQLite (planCheckpoint), in three statements whatever the batch's number of items. */
function checkpointer(
  session: () => Promise<PgSession>,
  s: string,
  job: string,
  owner: string,
  leaseMs: number,
  clock: () => number,
  ledger: RejectsLedger,
): Checkpoint {
  const append = ledgerAppender(ledger);
  return async (batch, outcome) => {
    const db = await session();
    const now = clock();
    const at = new Date(now).toISOString();
    const watermarks = [...new Set(batch.items.map((i) => i.watermark))];
    const before = new Map(
      (
        await db.query<ItemBefore & { watermark: string }>(
          `SELECT watermark, status, rows::float8 AS rows, rejected::float8 AS rejected FROM ${s}.cairn_backfill_items WHERE job = $1 AND watermark = ANY($2::text[])`,
          [job, watermarks],
        )
      ).map((r) => [r.watermark, r]),
    );
    const plan = planCheckpoint(batch, outcome, (watermark) => before.get(watermark));
    const bytes = append(batch, plan.entries);
    // An item cut into two slices of one batch is planned twice; its last plan holds its totals.
    const items = [...new Map(plan.items.map((i) => [i.watermark, i])).values()];
    const column = <K extends keyof ItemWrite>(key: K): ItemWrite[K][] => items.map((i) => i[key]);
    await db.query(
      `INSERT INTO ${s}.cairn_backfill_items (job, watermark, file, status, size, mtime, "offset", line, tail_sha256, rows, rejected, error, updated_at)
       SELECT $1, * , $13 FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::bigint[], $8::bigint[], $9::text[], $10::bigint[], $11::bigint[], $12::text[])
       ON CONFLICT (job, watermark) DO UPDATE SET file = excluded.file, status = excluded.status, size = excluded.size, mtime = excluded.mtime,
         "offset" = excluded."offset", line = excluded.line, tail_sha256 = excluded.tail_sha256, error = excluded.error, updated_at = excluded.updated_at,
         rows = excluded.rows, rejected = excluded.rejected`,
      [
        job,
        column('watermark'),
        column('file'),
        column('status'),
        column('size'),
        column('mtime'),
        column('offset'),
        column('line'),
        column('tailSha256'),
        column('rows'),
        column('rejected'),
        column('error'),
        at,
      ],
    );
    const { done, failed, rows, rejected } = plan.delta;
    const updated = await db.run(
      `UPDATE ${s}.cairn_backfill_state SET
         last_watermark = CASE WHEN last_watermark IS NULL OR $1::text > last_watermark THEN coalesce($1::text, last_watermark) ELSE last_watermark END,
         items_done = items_done + $2, items_failed = items_failed + $3, rows_done = rows_done + $4, rejected = rejected + $5,
         rejects_bytes = $6, updated_at = $7, lease_expires_at = $8
       WHERE job = $9 AND lease_owner = $10`,
      [plan.lastDone, done, failed, rows, rejected, bytes, at, now + leaseMs, job, owner],
    );
    if (updated.rowCount === 0) throw leaseLostError(job);
    return plan.entries;
  };
}
