import { errorMessage } from '../../errors.js';
import type { DbFactory } from '../../sqlite/db.js';
import { isBusy, lockFileFor } from '../../sqlite/lock.js';
import type { StoreContext } from '../inspect.js';
import type { DoctorCheck } from '../types.js';
import { checkResult } from './result.js';

type Probe = { held: true; by: string } | { held: false; note: string } | { held: null; note: string };

/**
 * Is anyone writing right now? Both answers come without writing a byte:
 * - cairn's sidecar lock (a migrate, import or cutover in progress): a read
 *   on it is refused while its holder keeps its EXCLUSIVE lock;
 * - SQLite's own write lock: a second connection asks for it with
 *   BEGIN IMMEDIATE and no wait, then rolls back. Neither WAL nor rollback
 *   journal touches the disk for a transaction that writes nothing, and the
 *   doctor's read-only connection stays open meanwhile, so closing the probe
 *   never checkpoints a WAL.
 */
export function lockCheck(ctx: StoreContext): DoctorCheck {
  const { store, files } = ctx;
  if (!files.db) return checkResult(store.name, 'lock', 'idle', 'no file yet');
  const sidecar = files.lock ? probeSidecar(files.lock.path, ctx.driver) : ({ held: false, note: 'no lock file' } as Probe);
  const writer = probeWriter(ctx);
  const details: Record<string, string> = {
    'cairn lock': sidecar.held ? sidecar.by : sidecar.note,
    'write lock': writer.held ? writer.by : writer.note,
  };
  const holders = [sidecar, writer].filter((p): p is Extract<Probe, { held: true }> => p.held === true);
  if (holders.length) {
    return checkResult(
      store.name,
      'lock',
      'warn',
      holders.map((h) => h.by).join('; '),
      details,
      `If nothing should be running, find the holder: lsof ${store.file} ${lockFileFor(store.file)}. A killed process frees its locks; a long write makes other writers wait up to their busy_timeout.`,
    );
  }
  if (writer.held === null) return checkResult(store.name, 'lock', 'idle', `not probed: ${writer.note}`, details);
  return checkResult(store.name, 'lock', 'ok', 'no writer holds a lock', details);
}

function probeSidecar(file: string, driver: DbFactory): Probe {
  try {
    const db = driver(file, { readonly: true, fileMustExist: true });
    try {
      db.exec('PRAGMA busy_timeout = 0');
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      return { held: false, note: 'free' };
    } finally {
      db.close();
    }
  } catch (error) {
    if (isBusy(error)) return { held: true, by: 'a cairn migrate, import or cutover is running (its lock file is held)' };
    return { held: null, note: `cannot be read: ${errorMessage(error)}` };
  }
}

function probeWriter(ctx: StoreContext): Probe {
  const { files, header } = ctx;
  if (!ctx.db) return { held: null, note: 'the database cannot be read' };
  // A rollback journal beside a file that read fine is not hot (that read would have failed), so the probe below cannot roll anything back.
  // A WAL database nobody has open has no -wal file (the last connection removes it): nobody can hold its lock.
  if (header?.wal && !files.wal) return { held: false, note: 'free (no connection has the database open)' };
  let probe;
  try {
    probe = ctx.driver(ctx.store.file, { fileMustExist: true });
  } catch (error) {
    return { held: null, note: `cannot open for the probe: ${errorMessage(error)}` };
  }
  try {
    probe.exec('PRAGMA busy_timeout = 0');
    probe.exec('BEGIN IMMEDIATE');
    probe.exec('ROLLBACK');
    return { held: false, note: 'free' };
  } catch (error) {
    if (isBusy(error)) return { held: true, by: 'a process is writing right now (it holds the write lock)' };
    return { held: null, note: errorMessage(error) };
  } finally {
    probe.close();
  }
}
