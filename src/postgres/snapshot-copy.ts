import { copyField } from './copy-text.js';
import { baseType, type PgTablePlan } from './restore-plan.js';

/**
 * A snapshot line as one row of COPY's text format for a restore's target
 * columns, read without loss: a number keeps its token's text (so 64-bit
 * integers, numeric's digits and a float's shortest form reach the server's
 * own input, as castFromLine's `j->>i` gives them), a string is decoded,
 * `{"$base64"…}` becomes bytea hex, the snapshot's ±9.0e+999 the column's
 * infinity. Null when the line holds anything else (or NUL): the restore's
 * statement path then reads it and names what the target cannot take.
 */
export function snapshotLineToCopy(text: string, plan: PgTablePlan, kinds: readonly ColumnKind[]): string | null {
  const tokens = splitLine(text);
  if (!tokens) return null;
  let row = '';
  for (let i = 0; i < plan.columns.length; i++) {
    const token = tokens[plan.columns[i]!.index];
    if (token === undefined) return null;
    const field = fieldOf(token, kinds[i] as ColumnKind);
    if (field === null) return null;
    row += i === 0 ? field : '\t' + field;
  }
  return row;
}

export type ColumnKind = 'bytea' | 'float' | 'other';

export function columnKinds(plan: PgTablePlan): ColumnKind[] {
  return plan.columns.map((c) => {
    const base = baseType(c.type);
    return base === 'bytea' ? 'bytea' : /^(real|double precision|numeric)$/.test(base) ? 'float' : 'other';
  });
}

function fieldOf(token: string, kind: ColumnKind): string | null {
  const first = token.charCodeAt(0);
  if (token === 'null') return '\\N';
  if (first === 34 /* " */) {
    const value = token.includes('\\') ? (JSON.parse(token) as string) : token.slice(1, -1);
    const field = copyField(value, false);
    return typeof field === 'string' ? field : null;
  }
  if (first === 123 /* { */) {
    if (kind !== 'bytea') return null;
    const object = JSON.parse(token) as { $base64?: unknown; encoded?: unknown };
    if (object.$base64 !== true || typeof object.encoded !== 'string') return null;
    return `\\\\x${Buffer.from(object.encoded, 'base64').toString('hex')}`;
  }
  if (token === '9.0e+999' || token === '-9.0e+999') return kind === 'float' ? (token[0] === '-' ? '-Infinity' : 'Infinity') : null;
  if (/^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(token)) return token;
  return null;
}

/** The top-level elements of a JSON array of scalars (and flat objects) as their source text; null when it is not one. */
function splitLine(text: string): string[] | null {
  if (text.charCodeAt(0) !== 91 /* [ */ || text.charCodeAt(text.length - 1) !== 93 /* ] */) return null;
  const out: string[] = [];
  let i = 1;
  const end = text.length - 1;
  if (i === end) return out;
  for (;;) {
    let j = i;
    const c = text.charCodeAt(i);
    if (c === 34) j = stringEnd(text, i);
    else if (c === 123) j = objectEnd(text, i);
    else while (j < end && text.charCodeAt(j) !== 44) j++;
    if (j < 0 || j > end) return null;
    out.push(text.slice(i, j));
    if (j === end) return out;
    if (text.charCodeAt(j) !== 44 /* , */) return null;
    i = j + 1;
  }
}

/** The index just past the flat object starting at `start` (its strings may hold braces), or -1. */
function objectEnd(text: string, start: number): number {
  for (let j = start + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 125 /* } */) return j + 1;
    if (c === 34) {
      const after = stringEnd(text, j);
      if (after < 0) return -1;
      j = after - 1;
    }
  }
  return -1;
}

/** The index just past the string token starting at `start`, or -1 when it never closes. */
function stringEnd(text: string, start: number): number {
  for (let j = start + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 92 /* \ */) j++;
    else if (c === 34) return j + 1;
  }
  return -1;
}
