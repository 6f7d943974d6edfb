import fs from 'node:fs';
import path from 'node:path';
import type { PostgresStore, ResolvedStore } from '../config/stores.js';
import { CairnError } from '../errors.js';
import { ensureHistory, readMeta, writeMeta } from '../migrations/history.js';
import { assertNoOtherConnections, holdWriteLock } from '../snapshot/cutover.js';
import { exportStore, timestamp, type ExportResult } from '../snapshot/export.js';
import type { RestoreResult } from '../snapshot/restore.js';
import type { Db } from '../sqlite/db.js';
import { databaseExists } from '../sqlite/files.js';
import { WriteLock } from '../sqlite/lock.js';
import { openDatabase } from '../sqlite/open.js';
import { restorePostgres } from './restore.js';
import { openSession, type PgSession } from './session.js';
import { describeTarget, quotePgIdent as qi } from './target.js';
import { plural } from '../words.js';

/** What a moved store records, on both sides: where it went (or came from), when, how many rows. */
export interface StoreMove {
  from: string;
  into: string;
  at: string;
  rows: number;
}

const MOVED_TO = 'moved-to';
const MOVED_FROM = 'moved-from';

export interface CutoverIntoOptions {
  /** Replace rows the server store already holds (not from an earlier run of this move), or move again a store already moved. */
  force?: boolean;
  dropUnknownColumns?: boolean;
  dropUnknownTables?: boolean;
  env?: NodeJS.ProcessEnv;
  now?: Date;
  onPhase?: (phase: 'export' | 'restore' | 'record' | 'done', detail: string) => void;
}

export interface CutoverIntoResult {
  move: StoreMove;
  snapshot: string;
  export: ExportResult;
  restore: RestoreResult;
  next: string[];
}

/**
 * Moves a SQLite store's rows into a PostgreSQL store, verified row by row:
 * the local store is held still (no other connection, cairn's lock, a write
 * transaction) while it is exported; the snapshot is restored into the
 * server store (migrated by its own files to the same logical schema) and
 * compared before the commit, which also records `moved-from` on the server;
 * then the local store records `moved-to`, the one write it ever gets.
 *
 * Killed at any moment, the local rows are untouched (they are only read)
 * and the server has all of them or none; the next run completes the move,
 * replacing the rows an earlier run of this same move left on the server.
 */
export async function cutoverInto(store: ResolvedStore, into: PostgresStore, options: CutoverIntoOptions = {}): Promise<CutoverIntoResult> {
  if (!databaseExists(store.file)) {
    throw new CairnError('E_NO_DATABASE', `${store.name}: ${store.file} does not exist; there is nothing to move`, { store: store.name, file: store.file });
  }
  const phase = options.onPhase ?? (() => {});
  const lock = WriteLock.acquire(store.file, { timeoutMs: 0 });
  let holder: Db | null = null;
  const snapshot = `${store.file}.move-${into.name}-${timestamp(options.now ?? new Date())}`;
  try {
    // A run killed after its export leaves its snapshot folder; this move's own leftovers go first.
    removeMoveLeftovers(store.file, into.name);
    const done = movedTo(store);
    if (done && !options.force) {
      throw new CairnError(
        'E_TARGET_EXISTS',
        `${store.name} was moved into ${done.into} at ${done.at} (${plural(done.rows, 'row')}); the app should use ${done.into} now. To move it again, replacing ${done.into}'s rows, pass --force`,
        { store: store.name, move: done },
      );
    }
    assertNoOtherConnections(store);
    holder = holdWriteLock(store);
    phase('export', snapshot);
    const exported = await exportStore(store, { out: snapshot, env: options.env, now: options.now });
    const move: StoreMove = { from: store.name, into: into.name, at: (options.now ?? new Date()).toISOString(), rows: exported.rows };
    // Rows an earlier run of this same move committed on the server are replaced without asking; anyone else's need --force.
    const earlier = await serverMove(into, options.env);
    phase('restore', describeTarget(into));
    const restored = await restorePostgres(into, {
      from: snapshot,
      force: options.force || earlier?.from === store.name,
      dropUnknownColumns: options.dropUnknownColumns,
      dropUnknownTables: options.dropUnknownTables,
      env: options.env,
      beforeCommit: (session) => recordOnServer(session, into.schema, move),
    });
    phase('record', store.file);
    ensureHistory(holder);
    writeMeta(holder, MOVED_TO, JSON.stringify(move));
    holder.exec('COMMIT');
    holder.close();
    holder = null;
    fs.rmSync(snapshot, { recursive: true, force: true });
    phase('done', into.name);
    return {
      move,
      snapshot,
      export: exported,
      restore: restored,
      next: [
        `${store.name}'s ${plural(exported.rows, 'row')} ${exported.rows === 1 ? 'is' : 'are'} in ${into.name} (${describeTarget(into)}), compared row by row.`,
        `Point the app at ${into.name}; ${store.file} is left as it was, marked as moved (movedTo() from cairndb/snapshot reads the mark).`,
      ],
    };
  } catch (error) {
    // A refusal or a failure leaves nothing behind to trip over (a killed run's folder is removed by the next one).
    fs.rmSync(snapshot, { recursive: true, force: true });
    throw error;
  } finally {
    if (holder) {
      holder.exec('ROLLBACK');
      holder.close();
    }
    lock.release();
  }
}

function removeMoveLeftovers(file: string, into: string): void {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.move-${into}-`;
  for (const entry of fs.readdirSync(dir)) {
    if (entry.startsWith(prefix) && /^\d{8}T\d{9}Z$/.test(entry.slice(prefix.length))) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
}

/** Where a SQLite store's rows were moved, or null: what an app reads to know it should use the server store now. */
export function movedTo(store: Pick<ResolvedStore, 'file'>): StoreMove | null {
  if (!databaseExists(store.file)) return null;
  const db = openDatabase(store.file, { readonly: true });
  try {
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cairn_meta'").get() !== undefined;
    const text = hasMeta ? readMeta(db, MOVED_TO) : undefined;
    return text === undefined ? null : (JSON.parse(text) as StoreMove);
  } finally {
    db.close();
  }
}

async function serverMove(into: PostgresStore, env: NodeJS.ProcessEnv | undefined): Promise<StoreMove | null> {
  const session = await openSession(into, { env, applicationName: `cairn cutover ${into.name}` });
  try {
    const table = `${qi(into.schema)}.cairn_meta`;
    const [present] = await session.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [table]);
    if (!present?.ok) return null;
    const [row] = await session.query<{ value: string }>(`SELECT value FROM ${table} WHERE key = $1`, [MOVED_FROM]);
    return row ? (JSON.parse(row.value) as StoreMove) : null;
  } finally {
    await session.end().catch(() => {});
  }
}

async function recordOnServer(session: PgSession, schema: string, move: StoreMove): Promise<void> {
  await session.query(`INSERT INTO ${qi(schema)}.cairn_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [
    MOVED_FROM,
    JSON.stringify(move),
  ]);
}
