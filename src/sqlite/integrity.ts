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
