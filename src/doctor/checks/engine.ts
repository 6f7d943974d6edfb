import { integrityMessages, isSound } from '../../sqlite/integrity.js';
import { errorMessage } from '../../errors.js';
import { formatBytes, plural } from '../format.js';
import { isCorruptError, type StoreContext } from '../inspect.js';
import type { DoctorCheck } from '../types.js';
import { newestBackup } from './file.js';
import { checkResult, skipped } from './result.js';

/** Why a check that needs a readable database did not run. */
function unreadable(ctx: StoreContext): string | null {
  if (!ctx.files.db) return 'no database file yet';
  if (ctx.db) return null;
  return ctx.problem?.kind === 'hot-journal' ? 'a hot journal must be rolled back first (see journal)' : 'the database cannot be read (see file)';
}

/** Journal mode, the WAL's size, and a crashed writer's rollback journal. */
export function journalCheck(ctx: StoreContext): DoctorCheck {
  const { store, files, problem, thresholds } = ctx;
  const name = store.name;
  if (!files.db) return checkResult(name, 'journal', 'idle', 'no file yet');
  if (problem?.kind === 'hot-journal') {
    return checkResult(
      name,
      'journal',
      'warn',
      'a writer crashed mid-transaction and left a hot rollback journal',
      { journal: files.journal?.path ?? `${store.file}-journal`, 'journal size': formatBytes(files.journal?.size ?? 0) },
      `Open the store once with write access (start the app, or \`cairn migrate --store ${name}\`): SQLite rolls the journal back on the first read. Never delete ${store.file}-journal: the database is only consistent with it.`,
    );
  }
  if (!ctx.db) return skipped(name, 'journal', unreadable(ctx) ?? 'unreadable');
  const mode = String(ctx.db.pragmaValue('journal_mode'));
  const details: Record<string, string> = { 'journal mode': mode };
  if (files.wal) details['WAL size'] = formatBytes(files.wal.size);
  if (files.journal && mode !== 'wal') details['journal'] = formatBytes(files.journal.size);
  if (files.wal && files.wal.size >= thresholds.walWarnBytes) {
    return checkResult(
      name,
      'journal',
      'warn',
      `WAL is ${formatBytes(files.wal.size)}: checkpoints are not keeping up`,
      details,
      `A reader that never ends its transaction stops checkpoints from resetting the WAL: find the long-lived process holding ${store.file} open (lsof ${store.file}). Setting "journal_size_limit" in the store's pragmas makes SQLite shrink the WAL after each checkpoint.`,
    );
  }
  const summary = mode === 'wal' ? `wal · ${files.wal ? `WAL ${formatBytes(files.wal.size)}` : 'no WAL file (closed cleanly)'}` : mode;
  return checkResult(name, 'journal', 'ok', summary, details);
}

/** `PRAGMA quick_check`, or the full `integrity_check` (which also compares every index with its table). */
export function integrityCheck(ctx: StoreContext): DoctorCheck {
  const { store } = ctx;
  const pragma = ctx.full ? 'integrity_check' : 'quick_check';
  const remedy = corruptionRemedy(ctx);
  const why = unreadable(ctx);
  if (why || !ctx.db) return skipped(store.name, 'integrity', why ?? 'unreadable');
  const started = performance.now();
  let messages: string[];
  try {
    // At most 100 messages: enough to see the damage, bounded on a wrecked file.
    messages = integrityMessages(ctx.db, 100, pragma);
  } catch (error) {
    messages = [errorMessage(error)];
  }
  const details: Record<string, string> = { check: pragma, time: `${(performance.now() - started).toFixed(0)} ms` };
  // A first read that failed as corrupt is a finding even when the check's own pass reports less.
  if (ctx.problem?.kind === 'corrupt') messages = [...messages.filter((m) => m !== 'ok'), `reading sqlite_master: ${ctx.problem.message}`];
  if (isSound(messages)) return checkResult(store.name, 'integrity', 'ok', `${pragma} ok`, details);
  messages.slice(0, 5).forEach((m, i) => (details[`problem ${i + 1}`] = m));
  if (messages.length > 5) details['more'] = `${messages.length >= 100 ? '95 or more' : messages.length - 5} further problems`;
  return checkResult(
    store.name,
    'integrity',
    'fail',
    `${pragma} found ${messages.length >= 100 ? '100 or more' : plural(messages.length, 'problem')}: ${messages[0]}`,
    details,
    remedy,
  );
}

function corruptionRemedy(ctx: StoreContext): string {
  const file = ctx.store.file;
  const backup = newestBackup(file);
  return (
    `Stop the app and copy ${file} (with its -wal) aside before anything else. ` +
    (backup ? `The newest backup beside it is ${backup}; ` : 'No cairn backup is beside it; ') +
    `when every table still reads, \`cairn cutover --store ${ctx.store.name}\` moves all rows into a fresh file and proves it (it refuses if a table cannot be read); ` +
    `to salvage what is readable otherwise: sqlite3 ${file} .recover | sqlite3 ${file}.recovered`
  );
}

/** Rows whose parent is missing: what the app's ON DELETE rules and joins assume never happens. */
export function foreignKeyCheck(ctx: StoreContext): DoctorCheck {
  const { store } = ctx;
  const why = unreadable(ctx);
  if (why || !ctx.db) return skipped(store.name, 'foreign_keys', why ?? 'unreadable');
  const perTable = new Map<string, number>();
  const samples: string[] = [];
  let total = 0;
  try {
    for (const row of ctx.db.prepare('PRAGMA foreign_key_check').iterate<{ table: string; rowid: number | null; parent: string }>()) {
      total += 1;
      const key = `${row.table} → ${row.parent}`;
      perTable.set(key, (perTable.get(key) ?? 0) + 1);
      if (samples.length < 5) samples.push(`${row.table} rowid ${row.rowid ?? '?'} → ${row.parent}`);
    }
  } catch (error) {
    if (isCorruptError(error)) throw error;
    // "foreign key mismatch": the parent key is not unique or not there; every child lookup is undefined.
    return checkResult(
      store.name,
      'foreign_keys',
      'fail',
      `cannot be checked: ${errorMessage(error)}`,
      {},
      'A foreign key points at columns that are not the primary key or a UNIQUE index of its parent table; fix the schema in a new migration.',
    );
  }
  if (total === 0) return checkResult(store.name, 'foreign_keys', 'ok', 'no orphan rows');
  const details: Record<string, string | number> = Object.fromEntries(perTable);
  samples.forEach((s, i) => (details[`example ${i + 1}`] = s));
  return checkResult(
    store.name,
    'foreign_keys',
    'fail',
    `${plural(total, 'row')} point at a missing parent`,
    details,
    `List them with: sqlite3 ${store.file} "PRAGMA foreign_key_check"; then insert the missing parents or delete the orphans in a migration. The usual cause is a write made with foreign_keys OFF.`,
  );
}

/** Pages freed by deletes stay in the file until VACUUM. */
export function freelistCheck(ctx: StoreContext): DoctorCheck {
  const { store, thresholds } = ctx;
  const why = unreadable(ctx);
  if (why || !ctx.db) return skipped(store.name, 'freelist', why ?? 'unreadable');
  const pages = Number(ctx.db.pragmaValue('page_count'));
  const free = Number(ctx.db.pragmaValue('freelist_count'));
  const pageSize = Number(ctx.db.pragmaValue('page_size'));
  const ratio = pages > 0 ? free / pages : 0;
  const details = {
    pages,
    'free pages': free,
    'page size': pageSize,
    'auto vacuum': ['none', 'full', 'incremental'][Number(ctx.db.pragmaValue('auto_vacuum'))] ?? '?',
  };
  const summary = `${(ratio * 100).toFixed(1)}% free (${formatBytes(free * pageSize)})`;
  if (ratio >= thresholds.freePageRatio && free * pageSize >= thresholds.freePageMinBytes) {
    return checkResult(
      store.name,
      'freelist',
      'warn',
      `${summary}: the file is bigger than its data`,
      details,
      `Reclaim ${formatBytes(free * pageSize)} with VACUUM while the app is stopped (sqlite3 ${store.file} VACUUM; it needs that much free disk and an exclusive lock), or set auto_vacuum = INCREMENTAL in a migration.`,
    );
  }
  return checkResult(store.name, 'freelist', 'ok', summary, details);
}
