import { CairnError } from '../errors.js';
import type { Db } from './db.js';

/**
 * `PRAGMA quick_check(limit)` (or `integrity_check`) as one line per message:
 * `['ok']` for a sound file. The first message's "*** in database main ***"
 * heading is dropped and multi-line messages are joined, so each reads alone.
 */
export function integrityMessages(db: Db, limit: number, pragma: 'quick_check' | 'integrity_check' = 'quick_check'): string[] {
  return db
    .prepare(`PRAGMA ${pragma}(${Math.max(1, Math.floor(limit))})`)
    .all<Record<string, unknown>>()
    .map((r) =>
      String(Object.values(r)[0])
        .replace(/^\*\*\* in database \w+ \*\*\*\n/, '')
        .replace(/\s*\n\s*/g, ' / '),
    );
}

export function isSound(messages: readonly string[]): boolean {
  return messages.length === 1 && messages[0] === 'ok';
}

/** SQLITE_CORRUPT and its extended codes, and SQLITE_NOTADB met mid-file. */
export function isCorruptError(error: unknown): boolean {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  return code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB';
}

/** Stores above this size are not read whole before a migration: the pages the run touches still raise E_CORRUPT. */
export const PRE_CHANGE_CHECK_MAX_BYTES = 1024 ** 3;

/** The refusal for a damaged database, with the way to find out more. */
export function corruptError(store: string, file: string, what: string, cause?: unknown): CairnError {
  return new CairnError(
    'E_CORRUPT',
    `${store}: ${file} is damaged (${what}); nothing was changed. Run cairn doctor --store ${store} for what is damaged and how to recover (a backup beside it, or cairn cutover when every table still reads)`,
    { store, file },
    cause === undefined ? undefined : { cause },
  );
}
