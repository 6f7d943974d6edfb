import type { ResolvedStore } from '../config/stores.js';
import { CairnError, type CairnErrorCode } from '../errors.js';
import type { RecordOrigin } from '../importers/define.js';
import { RowWriter } from '../importers/writer.js';
import type { Env } from '../migrations/envsub.js';
import { assertMigrated, migrateStore } from '../migrations/migrator.js';
import { newerThanAppWarning, storeStatus } from '../migrations/status.js';
import type { Db } from '../sqlite/db.js';
import { databaseExists } from '../sqlite/files.js';
import { openDatabase } from '../sqlite/open.js';
import type { RejectsLedger } from './rejects-ledger.js';
import { ledgerAppender, planCheckpoint, type ItemBefore } from './checkpoint-plan.js';
import { ensureStateTables, leaseIsLive, readItemRecords, readJobState } from './state.js';
import { leaseLostError, type BackfillTarget, type Lease } from './target.js';
import { plural } from '../words.js';

/**
 * A backfill into a SQLite store. The DB is opened only when it exists (a
 * complete job then costs this one open and one indexed read); every
 * transaction is IMMEDIATE, so two runs never interleave their writes.
 */
export function sqliteBackfillTarget(store: ResolvedStore, env: Env | undefined): BackfillTarget {
  let db: Db | null = databaseExists(store.file) ? openDatabase(store.file, { pragmas: store.pragmas }) : null;
  const open = (): Db => (db ??= openDatabase(store.file, { pragmas: store.pragmas }));
  return {
    where: store.file,
    rejectsId: (file) => file,
    readJobState: async (job) => (db ? readJobState(db, job) : null),
    assertWritable: (migrate) => assertWritable(store, migrate, env),
    acquireLease: async (job, owner, leaseMs, now, rejectsFile) => acquireLease(open(), job, owner, leaseMs, now, rejectsFile),
    readItemRecords: async (job) => readItemRecords(open(), job),
    openWriter: async (mode) => new RowWriter<RecordOrigin>(open(), { mode, holdBack: false }),
    checkpointer: (job, owner, leaseMs, clock, ledger) => checkpointer(open(), job, owner, leaseMs, clock, ledger),
    completeJob: async (job, owner, now) => {
      const at = new Date(now).toISOString();
      open()
        .prepare("UPDATE cairn_backfill_state SET status = 'complete', last_success_at = ?, updated_at = ? WHERE job = ? AND lease_owner = ?")
        .run(at, at, job, owner);
    },
    releaseLease: async (job, owner, now) => {
      try {
        open()
          .prepare(
            "UPDATE cairn_backfill_state SET lease_owner = NULL, lease_expires_at = NULL, status = CASE WHEN status = 'running' THEN 'pending' ELSE status END, updated_at = ? WHERE job = ? AND lease_owner = ?",
          )
          .run(new Date(now).toISOString(), job, owner);
      } catch {
        // The DB is failing (the reason we are unwinding); the lease expires on its own.
      }
    },
    close: async () => db?.close(),
  };
}

async function assertWritable(store: ResolvedStore, migrate: boolean, env: Env | undefined): Promise<string[]> {
  const status = storeStatus(store, { env });
  if (status.error) throw new CairnError(status.error.code as CairnErrorCode, status.error.message, { store: store.name });
  const newer = newerThanAppWarning(status, store.file, 'backfilling into');
  const warnings = newer ? [newer] : [];
  const behind = !status.exists || status.pending.length > 0 || status.baselinePending;
  if (!behind) return warnings;
  if (migrate) {
    const migrated = await migrateStore(store, { env });
    assertMigrated(migrated);
    return [...warnings, ...migrated.warnings];
  }
  const what = status.exists ? `is at version ${status.current ?? 0} with ${plural(status.pending.length, 'pending migration')}` : 'does not exist yet';
  throw new CairnError('E_SCHEMA_BEHIND', `${store.name}: ${store.file} ${what}; run cairn migrate (or openStores) first, or pass --migrate`, {
    store: store.name,
    file: store.file,
  });
}

function acquireLease(db: Db, job: string, owner: string, leaseMs: number, now: number, rejectsFile: string): Lease {
  return db.withTransaction((): Lease => {
    ensureStateTables(db);
    const state = readJobState(db, job);
    if (state && leaseIsLive(state, now)) return { busy: state };
    const at = new Date(now).toISOString();
    db.prepare(
      `INSERT INTO cairn_backfill_state (job, status, started_at, updated_at, lease_owner, lease_expires_at, rejects_file)
       VALUES (?, 'running', ?, ?, ?, ?, ?)
       ON CONFLICT (job) DO UPDATE SET status = 'running', started_at = coalesce(started_at, excluded.started_at),
         updated_at = excluded.updated_at, lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at,
         rejects_file = excluded.rejects_file,
         rejects_bytes = CASE WHEN rejects_file IS excluded.rejects_file THEN rejects_bytes ELSE 0 END`,
    ).run(job, at, at, owner, now + leaseMs, rejectsFile);
    return { state };
  });
}

/**
 * The checkpoint, inside the batch's transaction: the batch's rejects are
 * appended to the ledger, each item's offset, fingerprint and totals
 * recorded, the job's counters moved and its lease renewed. A lease taken
 * over by another process (ours expired) aborts the batch.
 */
function checkpointer(db: Db, job: string, owner: string, leaseMs: number, clock: () => number, ledger: RejectsLedger) {
  const upsertItem = db.prepare(
    `INSERT INTO cairn_backfill_items (job, watermark, file, status, size, mtime, offset, line, tail_sha256, rows, rejected, error, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (job, watermark) DO UPDATE SET file = excluded.file, status = excluded.status, size = excluded.size, mtime = excluded.mtime,
       offset = excluded.offset, line = excluded.line, tail_sha256 = excluded.tail_sha256, error = excluded.error, updated_at = excluded.updated_at,
       rows = excluded.rows, rejected = excluded.rejected`,
  );
  const readItem = db.prepare('SELECT status, rows, rejected FROM cairn_backfill_items WHERE job = ? AND watermark = ?');
  const updateState = db.prepare(
    `UPDATE cairn_backfill_state SET
       last_watermark = CASE WHEN last_watermark IS NULL OR ? > last_watermark THEN coalesce(?, last_watermark) ELSE last_watermark END,
       items_done = items_done + ?, items_failed = items_failed + ?, rows_done = rows_done + ?, rejected = rejected + ?,
       rejects_bytes = ?, updated_at = ?, lease_expires_at = ?
     WHERE job = ? AND lease_owner = ?`,
  );
  const append = ledgerAppender(ledger);
  return (batch: Parameters<typeof planCheckpoint>[0], outcome: Parameters<typeof planCheckpoint>[1]) => {
    const now = clock();
    const at = new Date(now).toISOString();
    const plan = planCheckpoint(batch, outcome, (watermark) => readItem.get<ItemBefore>(job, watermark));
    const bytes = append(batch, plan.entries);
    for (const i of plan.items) {
      upsertItem.run(job, i.watermark, i.file, i.status, i.size, i.mtime, i.offset, i.line, i.tailSha256, i.rows, i.rejected, i.error, at);
    }
    const { done, failed, rows, rejected } = plan.delta;
    const changes = updateState.run(plan.lastDone, plan.lastDone, done, failed, rows, rejected, bytes, at, now + leaseMs, job, owner).changes;
    if (changes === 0) throw leaseLostError(job);
    return plan.entries;
  };
}
