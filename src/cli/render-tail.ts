import { jsonSafe } from '../importers/rejects.js';
import type { TailQuery, TailRow } from '../tail/query.js';
import { jsonLine, type Style } from './io.js';
import { localIsoTime } from '../time/local-iso.js';
import { plural } from '../words.js';

/**
 * One line per row: the time column first (as local ISO 8601 time when it
 * holds a time; --json keeps the value as stored), then `column=value` for every
 * other non-null column (the id column left out); values with spaces, quotes
 * or `=` are JSON-quoted so a line splits back unambiguously.
 */
export function renderTailRow(row: TailRow, query: TailQuery, s: Style): string {
  const parts: string[] = [];
  if (query.timeColumn) {
    const value = row.values[query.timeColumn];
    parts.push(s.dim(localIsoTime(value) ?? plain(value)));
  }
  for (const [column, value] of Object.entries(row.values)) {
    if (column === query.timeColumn || column === query.idColumn || value === null || value === undefined) continue;
    parts.push(`${column}=${plain(value)}`);
  }
  return parts.join(' ');
}

/** One `cairn.tail/1` line: the store and table beside the row, so a row's own columns never collide with them. */
export function tailRowJson(row: TailRow, query: TailQuery, store: string): string {
  return jsonLine('tail', { store, table: query.table, row: row.values }, jsonSafe);
}

function plain(value: unknown): string {
  if (value instanceof Uint8Array) return `<${plural(value.length, 'byte')}>`;
  // A server's json/jsonb and array columns arrive parsed: print them as JSON, not as [object Object].
  const text = value !== null && typeof value === 'object' ? JSON.stringify(value, jsonSafe) : String(value);
  const quote = typeof value === 'string' ? text === '' || /[\s"'=\\\p{Cc}]/u.test(text) : /[\s=]/u.test(text);
  return quote ? JSON.stringify(text) : text;
}
