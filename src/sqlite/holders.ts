import fs from 'node:fs';
import { openBetterSqlite3 } from './driver-better-sqlite3.js';
import { isBusy } from './lock.js';

/** A process that has a database (or its -wal, -shm, -journal) open. */
export interface FileHolder {
  pid: number;
  /** Its command line, shortened, for the message; '' where it cannot be read. */
  command: string;
}

export interface HoldersReport {
  /** Processes seen with the file open (this one included when it has a connection of its own). */
  holders: FileHolder[];
  /** In WAL mode: another connection holds the database's shared lock, whether or not it could be named. */
  lockedByOther: boolean;
}

const SIDECARS = ['', '-wal', '-shm', '-journal'];

/**
 * Who else has `file` open, however idle. Two ways, since neither alone sees
 * every holder:
 * - the lock probe: in WAL mode every open connection keeps a SHARED lock on
 *   the database file for its whole life (that is how SQLite's last closer
 *   knows it is last), so an EXCLUSIVE lock is refused while any other
 *   connection, in any process, is open;
 * - the descriptor scan (Linux /proc): a rollback-journal connection holds no
 *   lock between transactions, but its file descriptor still shows.
 * Call it with no connection of this process open on the file, or this
 * process counts as a holder.
 */
export function findHolders(file: string): HoldersReport {
  return { holders: scanOpenDescriptors(file), lockedByOther: walLockHeldByOther(file) };
}

function walLockHeldByOther(file: string): boolean {
  const db = openBetterSqlite3(file, { fileMustExist: true });
  try {
    db.exec('PRAGMA busy_timeout = 0');
    if (String(db.pragmaValue('journal_mode')) !== 'wal') return false;
    // In exclusive locking mode a WAL write transaction takes the database file's EXCLUSIVE lock.
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    try {
      db.exec('BEGIN IMMEDIATE');
      db.exec('ROLLBACK');
      return false;
    } catch (error) {
      if (isBusy(error)) return true;
      throw error;
    }
  } finally {
    db.close();
  }
}

/**
 * Processes with one of the store's files open. Another user's processes
 * cannot be looked into; an app runs as the user who owns its store, and the
 * lock probe still sees that user's WAL connections.
 */
function scanOpenDescriptors(file: string): FileHolder[] {
  const targets = new Set<string>();
  for (const suffix of SIDECARS) {
    const stat = fs.statSync(`${file}${suffix}`, { throwIfNoEntry: false });
    if (stat) targets.add(`${stat.dev}:${stat.ino}`);
  }
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    // No /proc (macOS, BSD): the lock probe is all there is, and a rollback-journal store's idle connection goes unseen there.
    return [];
  }
  const holders: FileHolder[] = [];
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      // ENOENT: the process ended while we looked, so it holds nothing. EACCES: another user's process (see above).
      continue;
    }
    const holds = fds.some((fd) => {
      try {
        const stat = fs.statSync(`/proc/${pid}/fd/${fd}`);
        return targets.has(`${stat.dev}:${stat.ino}`);
      } catch {
        // Closed between the listing and the stat (ENOENT), or a descriptor we may not follow: neither is one of our files.
        return false;
      }
    });
    if (holds) holders.push({ pid: Number(pid), command: commandOf(pid) });
  }
  return holders;
}

function commandOf(pid: string): string {
  try {
    const text = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').replace(/\s+/g, ' ');
    return text.length > 120 ? `${text.slice(0, 117)}…` : text;
  } catch {
    return '';
  }
}

/** `pid 123 (node app.js), pid 456 (…)` for a message. */
export function describeHolders(holders: readonly FileHolder[]): string {
  return holders.map((h) => `pid ${h.pid}${h.pid === process.pid ? ' (this process)' : h.command ? ` (${h.command})` : ''}`).join(', ');
}
