import { CairnError } from '../errors.js';

/** One `--where` filter: a column, an operator from a fixed list, and a value that is always bound. */
export interface WhereFilter {
  column: string;
  op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'NOT LIKE' | 'IS NULL' | 'IS NOT NULL';
  /** The value as text, or null for IS [NOT] NULL. */
  value: string | null;
  /** The value was written as a number (unquoted): bound as one where the engine cares (an untyped SQLite column). */
  numeric: boolean;
}

const OPS: Record<string, WhereFilter['op']> = {
  '=': '=',
  '==': '=',
  '!=': '!=',
  '<>': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  like: 'LIKE',
  'not like': 'NOT LIKE',
};

const FORM = /^\s*("(?:[^"]|"")+"|[^\s=<>!]+)\s*(is\s+not\s+null|is\s+null|not\s+like|like|==|!=|<>|<=|>=|=|<|>)\s*([\s\S]*?)\s*$/i;
const NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

/**
 * Parses `--where "duration_ms >= 1000"`: a column, one of =, !=, <>, <, <=,
 * >, >=, LIKE, NOT LIKE, IS NULL, IS NOT NULL, and a value ('quoted' or
 * bare). Only that shape is accepted and the value is bound as a parameter,
 * so the text is never pasted into SQL: a filter, not a SQL prompt. The
 * engine's query builder checks the column against the table.
 */
export function parseWhere(text: string): WhereFilter {
  const m = FORM.exec(text);
  if (!m) {
    throw new CairnError(
      'E_USAGE',
      `--where ${JSON.stringify(text)}: expected "column operator value", e.g. --where "duration_ms >= 1000" or --where "user IS NULL" (operators: = != < <= > >= LIKE, NOT LIKE, IS NULL, IS NOT NULL)`,
      { flag: '--where', value: text },
    );
  }
  const column = m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replace(/""/g, '"') : m[1]!;
  const word = m[2]!.toLowerCase().replace(/\s+/g, ' ');
  const raw = m[3]!;
  if (word === 'is null' || word === 'is not null') {
    if (raw !== '') throw new CairnError('E_USAGE', `--where ${JSON.stringify(text)}: ${word.toUpperCase()} takes no value`, { flag: '--where', value: text });
    return { column, op: word === 'is null' ? 'IS NULL' : 'IS NOT NULL', value: null, numeric: false };
  }
  if (raw === '')
    throw new CairnError('E_USAGE', `--where ${JSON.stringify(text)}: no value after ${m[2]}; quote an empty text as ''`, { flag: '--where', value: text });
  const quoted = /^'([\s\S]*)'$/.exec(raw) ?? /^"([\s\S]*)"$/.exec(raw);
  const value = quoted ? quoted[1]!.replace(raw[0] === "'" ? /''/g : /""/g, raw[0]!) : raw;
  return { column, op: OPS[word]!, value, numeric: !quoted && NUMBER.test(raw) };
}
