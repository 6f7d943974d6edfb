import type { SourceRecord } from './define.js';

/**
 * A member of a JSONL line stored as the line wrote it: `rawJson(record,
 * 'payload')` in a map hands the writer the member's own JSON text instead of
 * the parsed object, which would otherwise be turned back into text with
 * JSON.stringify. On agent histories, whose payloads are most of every line,
 * that stringify was the largest cost after the parse (a scan of the line is
 * about 3× cheaper), and it made one more large string per row for the
 * garbage collector.
 *
 * The text is the member exactly as written (its spacing and escapes kept):
 * valid JSON, since the line parsed. Where the line's text is not at hand (a
 * JSON file, a SQLite source, a record kept past its map call) or cannot be
 * trusted to mean what the parsed value means (a key written with escapes),
 * the value is stringified as usual.
 */
const BRAND = Symbol.for('cairn.jsonText');

export interface JsonText {
  readonly [BRAND]: true;
  readonly text: string;
  /** A reject row shows the value, not the wrapper. */
  toJSON(): unknown;
}

/** One per stored member: a class, so the brand and toJSON live on the prototype, not in a closure per row. */
class MemberText {
  declare readonly [BRAND]: true;
  constructor(readonly text: string) {}
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}
Object.defineProperty(MemberText.prototype, BRAND, { value: true });

function jsonText(text: string): JsonText {
  return new MemberText(text);
}

/** Branded, not instanceof: a plan may load another copy of cairndb than the writer's. */
export function isJsonText(value: unknown): value is JsonText {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

/** The line being mapped and its parsed value, set around each map call (one at a time, synchronously); two variables, no object per record. */
let currentValue: unknown = undefined;
let currentLine: string | null = null;

/** Calls `map` with `line` as the text of the record whose parsed value is `value`. */
export function mapping<R, C, T>(value: unknown, line: string | null, map: (record: R, context: C) => T, record: R, context: C): T {
  currentValue = value;
  currentLine = line;
  try {
    return map(record, context);
  } finally {
    currentValue = undefined;
    currentLine = null;
  }
}

/**
 * `record.value[member]` as JSON text for a column: the line's own text for
 * it when the record is the JSONL line being mapped, else JSON.stringify of
 * the value. `undefined` when the member is absent (the column is left out).
 */
export function rawJson(record: Pick<SourceRecord, 'value'>, member: string): JsonText | undefined {
  const value = (record.value as Record<string, unknown> | null)?.[member];
  if (value === undefined) return undefined;
  if (currentLine !== null && currentValue === record.value) {
    const text = memberText(currentLine, member);
    if (text !== undefined) return jsonText(text);
  }
  return jsonText(JSON.stringify(value));
}

/**
 * The text of top-level member `key` of the JSON object `line` (which
 * parsed), the last one when the key repeats (as JSON.parse keeps the last);
 * undefined when it is absent, or when any key is written with escapes (then
 * two spellings could name one key, and only the parser can say which wins).
 */
export function memberText(line: string, key: string): string | undefined {
  let i = skipSpace(line, 0);
  if (line.charCodeAt(i) !== 123) return undefined; // {
  i = skipSpace(line, i + 1);
  let found: string | undefined;
  while (line.charCodeAt(i) === 34) {
    const keyEnd = endOfString(line, i);
    const name = line.slice(i + 1, keyEnd);
    if (name.includes('\\')) return undefined;
    i = skipSpace(line, skipSpace(line, keyEnd + 1) + 1); // past the colon
    const end = endOfValue(line, i);
    if (name === key) found = line.slice(i, end);
    i = skipSpace(line, end);
    if (line.charCodeAt(i) !== 44) break; // ,
    i = skipSpace(line, i + 1);
  }
  return found;
}

function skipSpace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return i;
    i += 1;
  }
}

/** `i` at an opening quote; the index of its closing quote (one not escaped by an odd run of backslashes). */
function endOfString(text: string, i: number): number {
  for (;;) {
    const quote = text.indexOf('"', i + 1);
    if (quote < 0) return text.length;
    let backslashes = 0;
    for (let b = quote - 1; text.charCodeAt(b) === 92; b--) backslashes += 1;
    if (backslashes % 2 === 0) return quote;
    i = quote;
  }
}

/** `i` at the first character of a value; the index just past it. */
function endOfValue(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === 34) return endOfString(text, i) + 1;
  if (first !== 123 && first !== 91) {
    // A number, true, false or null: up to the next delimiter.
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 44 || c === 125 || c === 93 || c === 32 || c === 9 || c === 10 || c === 13) break;
      i += 1;
    }
    return i;
  }
  let depth = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) i = endOfString(text, i);
    else if (c === 123 || c === 91) depth += 1;
    else if (c === 125 || c === 93) {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  return i;
}
