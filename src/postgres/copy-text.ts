import type { SqlValue } from '../sqlite/db.js';

/**
 * COPY's text format for the values a mapper produces, exact for every one
 * the server can hold: integers and bigints as written, floats as their
 * shortest round-trip text (-0 kept), bytes as bytea hex, strings escaped.
 * What a column cannot hold is a reason, never an altered value.
 */

/** Characters COPY's text format escapes, and NUL (which no PostgreSQL text can hold). */
// eslint-disable-next-line no-control-regex
const SPECIAL = /[\\\t\n\r\u0000]/;

/** One value as a COPY text field for a column (`bytea` or not), or a reason it cannot go there. */
export function copyField(value: SqlValue | undefined, bytea: boolean): string | { reason: string } {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'string') {
    if (bytea) return `\\\\x${Buffer.from(value, 'utf8').toString('hex')}`;
    if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) {
      return { reason: 'the text holds a lone UTF-16 surrogate, which is not valid Unicode; PostgreSQL cannot store it' };
    }
    if (!SPECIAL.test(value)) return value;
    if (value.includes('\u0000'))
      return { reason: 'PostgreSQL text cannot hold the NUL character (U+0000); remove it in the mapper, or store the value as bytea' };
    return value.replace(/[\\\t\n\r]/g, escape);
  }
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) {
    if (!bytea) return { reason: `a binary value (${value.length} bytes) can only go into a bytea column` };
    return `\\\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  }
  return { reason: `a value of type ${typeof value} cannot be stored` };
}

function escape(ch: string): string {
  switch (ch) {
    case '\\':
      return '\\\\';
    case '\t':
      return '\\t';
    case '\n':
      return '\\n';
    default:
      return '\\r';
  }
}
