import { CairnError } from '../errors.js';
import type { RecordOrigin } from '../importers/define.js';
import type { Outcome, RejectSink, TableCounts, WriteGroup, WriteMode } from '../importers/outcome.js';
import type { RejectEntry } from '../importers/produce.js';
import type { BackfillBatch } from './produce.js';
import type { RejectsLedger } from './rejects-ledger.js';
import type { ItemRecord, JobState } from './state.js';

export type Lease = { state: JobState | null } | { busy: JobState };

/** The checkpoint of one batch, run inside the batch's transaction; returns the lines it put in the ledger. */
export type Checkpoint = (batch: BackfillBatch, outcome: Outcome<RecordOrigin>) => RejectEntry[] | Promise<RejectEntry[]>;

export interface BackfillWriter {
  write(
    groups: readonly WriteGroup[],
    originOf: (tag: number) => RecordOrigin,
    onReject: RejectSink<RecordOrigin>,
    beforeCommit: (outcome: Outcome<RecordOrigin>) => unknown,
  ): void | Promise<void>;
  counts(): Record<string, TableCounts>;
  /** Every batch written so far on disk (a server's writer commits batches without waiting for the flush). */
  durable?(): Promise<void>;
}

/**
 * Where a backfill keeps its rows and its bookkeeping, one per engine: the
 * job's state and item tables live beside the rows, so each checkpoint
 * commits in the same transaction as the rows it describes.
 */
export interface BackfillTarget {
  /** The store's file, or its server and schema, for messages. */
  readonly where: string;
  /**
   * How the state names the rejects file: its path, or on a server (which
   * runs from several machines) `host:path`, so a run never trusts, and
   * truncates to, a length another machine's file recorded.
   */
  rejectsId(file: string): string;
  /** The job's state, or null when it never ran; creates nothing. */
  readJobState(job: string): Promise<JobState | null>;
  /**
   * The store must exist at the app's schema (or be brought there with
   * `migrate`): a backfill fills tables, it never creates them. Returns the
   * warnings (a newer release's additive versions, migrations applied).
   */
  assertWritable(migrate: boolean): Promise<string[]>;
  /** Takes the job's lease in one transaction, making the state tables on first use; another live holder makes it `busy`. */
  acquireLease(job: string, owner: string, leaseMs: number, now: number, rejectsFile: string): Promise<Lease>;
  readItemRecords(job: string): Promise<Map<string, ItemRecord>>;
  openWriter(mode: WriteMode): Promise<BackfillWriter>;
  checkpointer(job: string, owner: string, leaseMs: number, clock: () => number, ledger: RejectsLedger): Checkpoint;
  completeJob(job: string, owner: string, now: number): Promise<void>;
  /** Frees the lease; a run that did not complete leaves the job pending. Never throws (it runs while unwinding). */
  releaseLease(job: string, owner: string, now: number): Promise<void>;
  close(): Promise<void>;
}

/** The checkpoint found the lease in another's hands (ours expired and it was taken): the batch rolls back. */
export function leaseLostError(job: string): CairnError {
  return new CairnError('E_BACKFILL_LEASE_LOST', `backfill ${job}: another process took over the job (this run's lease expired); this batch was rolled back`, {
    job,
  });
}
