import type { EncodedRows, WriteGroup } from '../importers/outcome.js';
import type { SqlValue } from '../sqlite/db.js';
import { plural } from '../words.js';

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
    if (!bytea) return { reason: `a binary value (${plural(value.length, 'byte')}) can only go into a bytea column` };
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

/**
 * A group's rows as COPY text, one line each ending in a newline; `kept[i]`
 * is the group row behind line i, and `rejects` the rows no column of theirs
 * can hold, with the reason.
 */
export function encodeGroup(group: Pick<WriteGroup, 'columns' | 'values' | 'origins'>, bytea: readonly boolean[]): EncodedRows {
  const width = group.columns.length;
  const kept: number[] = [];
  const rejects: [number, string][] = [];
  let text = '';
  rows: for (let r = 0; r < group.origins.length; r++) {
    let line = '';
    for (let c = 0; c < width; c++) {
      const field = copyField(group.values[r * width + c], bytea[c] === true);
      if (typeof field !== 'string') {
        rejects.push([r, `column ${group.columns[c]}: ${field.reason}`]);
        continue rows;
      }
      line += c === 0 ? field : '\t' + field;
    }
    text += line + '\n';
    kept.push(r);
  }
  return { text, kept, rejects };
}

/** Per table, its columns' names and whether each is bytea: what a worker thread needs to encode a server store's rows. */
export type CopyColumns = Record<string, { name: string; bytea: boolean }[]>;

/**
 * Encodes each group whose table and columns are all known, on the thread
 * that produced it (a worker), so the writer's thread only sends the text.
 * A group it cannot place is left for the writer, which names the problem.
 */
export function encodeGroups(groups: readonly WriteGroup[], tables: CopyColumns): void {
  for (const group of groups) {
    const columns = tables[group.table];
    if (!columns) continue;
    const flags = group.columns.map((name) => findColumn(columns, name)?.bytea);
    if (flags.some((f) => f === undefined)) continue;
    const encoded = encodeGroup(group, flags as boolean[]);
    // Bytes of their own, handed over to the writer's thread rather than copied by postMessage (copyBuffers).
    group.copy = { ...encoded, text: new TextEncoder().encode(encoded.text as string) };
  }
}

/** The buffers of a batch's encoded groups, to transfer with it. */
export function copyBuffers(groups: readonly WriteGroup[]): ArrayBuffer[] {
  return groups.flatMap((g) => (g.copy && typeof g.copy.text !== 'string' ? [g.copy.text.buffer as ArrayBuffer] : []));
}

/**
 * The table's column a row's key names: the exact name, else the one column
 * whose name differs only in case (a mapper's `createdAt` for a column
 * created unquoted as `createdat`), as SQLite's names match.
 */
export function findColumn<C extends { name: string }>(columns: readonly C[], name: string): C | undefined {
  const exact = columns.find((c) => c.name === name);
  if (exact) return exact;
  const folded = columns.filter((c) => c.name.toLowerCase() === name.toLowerCase());
  return folded.length === 1 ? folded[0] : undefined;
}
