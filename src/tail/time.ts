import { CairnError } from '../errors.js';
import { quoteIdent } from '../sqlite/quote.js';
import { DURATION_FORMS, parseDuration } from '../time/duration.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const UNIX_SECONDS = /^-?\d+(\.\d+)?$/;

/**
 * A `--since`/`--until` value as unix seconds: a time ago (`1h`, `30m`,
 * `2d`, `PT12H`; see duration.ts), `now`, RFC 3339 with a zone
 * (`2026-11-23T10:00:00Z`, `…+01:00`) or unix seconds (`1795428000`).
 * Anything else is refused with what was expected: a guessed timezone or
 * date order would filter the wrong rows without saying so.
 */
export function parseTimeBound(flag: string, text: string, now: number = Date.now()): number {
  const trimmed = text.trim();
  if (UNIX_SECONDS.test(trimmed)) return Number(trimmed);
  if (trimmed.toLowerCase() === 'now') return now / 1000;
  const ago = parseDuration(trimmed.replace(/\s+ago$/i, ''));
  if (ago !== null) return (now - ago) / 1000;
  const m = RFC3339.exec(trimmed);
  const ms = m ? Date.parse(trimmed.replace(' ', 'T')) : NaN;
  if (!m || Number.isNaN(ms) || !realDate(Number(m[1]), Number(m[2]), Number(m[3])) || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 60) {
    throw new CairnError(
      'E_USAGE',
      `${flag} ${JSON.stringify(text)}: expected an RFC 3339 time with a zone (2026-11-23T10:00:00Z, 2026-11-23T11:00:00+01:00), a time ago (${DURATION_FORMS}), now, or unix seconds (1795428000)`,
      { flag, value: text },
    );
  }
  return ms / 1000;
}

/** A calendar day that exists: Date.parse rolls 2026-02-30 over into March instead of refusing it. */
function realDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * SQL giving a time column's value as unix seconds, whatever the app stored:
 * text SQLite's date functions read (ISO 8601, with or without a zone), or a
 * number in seconds, milliseconds, microseconds or nanoseconds (told apart by
 * size: 1e11 seconds is the year 5138, 1e11 ms is 1973). NULL when unreadable,
 * so such rows never match a time filter.
 */
export function unixSecondsOf(column: string): string {
  const c = quoteIdent(column);
  return `(CASE typeof(${c})
    WHEN 'text' THEN unixepoch(${c}, 'subsec')
    WHEN 'integer' THEN (CASE WHEN abs(${c}) >= 100000000000000000 THEN ${c} / 1e9 WHEN abs(${c}) >= 100000000000000 THEN ${c} / 1e6 WHEN abs(${c}) >= 100000000000 THEN ${c} / 1e3 ELSE ${c} END)
    WHEN 'real' THEN (CASE WHEN abs(${c}) >= 1e17 THEN ${c} / 1e9 WHEN abs(${c}) >= 1e14 THEN ${c} / 1e6 WHEN abs(${c}) >= 1e11 THEN ${c} / 1e3 ELSE ${c} END)
  END)`;
}

/** Column names apps give their timestamps, in the order tail tries them. */
export const TIME_COLUMN_NAMES = ['ts', 'timestamp', 'time', 'at', 'created_at', 'createdAt', 'logged_at', 'date', 'updated_at'];
