import type { SqlResult } from '../sql/run.js';
import { plural } from '../words.js';
import type { Style } from './io.js';

/**
 * A result as a table, as psql prints one: a header, a rule, a row per line
 * (NULL written as such, blobs as their size, text with line breaks or tabs
 * JSON-quoted so each row stays one line), then the count.
 */
export function renderSqlResult(result: SqlResult, s: Style): string {
  if (result.columns.length === 0) return `${plural(result.changes ?? 0, 'row')} changed\n`;
  const cells = result.rows.map((row) => row.map(cell));
  const widths = result.columns.map((name, i) => Math.max(width(name), ...cells.map((row) => width(row[i]!))));
  const line = (values: string[]): string =>
    values
      .map((v, i) => v + ' '.repeat(widths[i]! - width(v)))
      .join(' | ')
      .trimEnd();
  const out = [s.bold(line(result.columns)), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.map(line), s.dim(`(${plural(result.rows.length, 'row')})`)];
  return `${out.join('\n')}\n`;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Uint8Array) return `<${plural(value.length, 'byte')}>`;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  const text = String(value);
  return /[\n\r\t\p{Cc}]/u.test(text) ? JSON.stringify(text) : text;
}

/** Terminal columns, roughly: each code point one column (wide CJK and emoji count one; close enough for alignment). */
function width(text: string): number {
  return [...text].length;
}
