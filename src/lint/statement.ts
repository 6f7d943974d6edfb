/**
 * Just enough of SQLite's grammar to tell what a migration statement does
 * to the schema: its kind and the objects it names. Anything not
 * recognised is `other`; the lint then relies on running it in the shadow
 * schema (shadow.ts), which is SQLite's own judgement.
 */
export interface Token {
  /** `word` is a bare keyword or identifier; `name` a quoted identifier; `string` a '…' literal. */
  type: 'word' | 'name' | 'string' | 'number' | 'punct';
  /** Keywords lower-cased, quoted identifiers unquoted. */
  value: string;
  /** As written (bare identifiers keep their case here). */
  text: string;
  /** Offset in the statement text. */
  start: number;
  end: number;
}

export type StatementShape =
  | { kind: 'create-table'; name: string; ifNotExists: boolean; nameAt: { start: number; end: number } }
  | { kind: 'create-index'; name: string; table: string; unique: boolean; ifNotExists: boolean }
  | { kind: 'create-view' | 'create-trigger' | 'create-virtual-table'; name: string; ifNotExists: boolean }
  | { kind: 'rename-table'; table: string; to: string }
  | { kind: 'rename-column'; table: string; column: string; to: string }
  | { kind: 'add-column'; table: string; column: string; definition: string }
  | { kind: 'drop-column'; table: string; column: string }
  | { kind: 'drop'; object: 'table' | 'index' | 'view' | 'trigger'; name: string; ifExists: boolean }
  | { kind: 'pragma'; name: string; value: string | null }
  | { kind: 'transaction-control'; verb: string }
  | { kind: 'vacuum' | 'attach' | 'detach' | 'dml' | 'other' };

const WORD = /[A-Za-z0-9_$\u0080-\uffff]/;

/** Splits a statement into tokens, skipping white space and comments. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i] as string;
    if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (ch === "'" || ch === '"' || ch === '`' || ch === '[') {
      const close = ch === '[' ? ']' : ch;
      let j = i + 1;
      let value = '';
      for (;;) {
        const k = sql.indexOf(close, j);
        if (k === -1) {
          value += sql.slice(j);
          j = sql.length;
          break;
        }
        value += sql.slice(j, k);
        if (close !== ']' && sql[k + 1] === close) {
          value += close;
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      tokens.push({ type: ch === "'" ? 'string' : 'name', value, text: sql.slice(i, j), start: i, end: j });
      i = j;
    } else if (WORD.test(ch)) {
      let j = i + 1;
      while (j < sql.length && WORD.test(sql[j] as string)) j += 1;
      const text = sql.slice(i, j);
      tokens.push({ type: /^[0-9]/.test(text) ? 'number' : 'word', value: /^[0-9]/.test(text) ? text : text.toLowerCase(), text, start: i, end: j });
      i = j;
    } else {
      tokens.push({ type: 'punct', value: ch, text: ch, start: i, end: i + 1 });
      i += 1;
    }
  }
  return tokens;
}

/** Reads the statement's shape from its leading tokens. */
export function shapeOf(sql: string): StatementShape {
  const tokens = tokenize(sql);
  const reader = new Reader(tokens);
  const first = reader.word();
  switch (first) {
    case 'create':
      return createShape(reader);
    case 'alter':
      return reader.take('table') ? alterShape(reader, sql) : { kind: 'other' };
    case 'drop': {
      const object = reader.word();
      if (object !== 'table' && object !== 'index' && object !== 'view' && object !== 'trigger') return { kind: 'other' };
      const ifExists = reader.takeAll('if', 'exists');
      return { kind: 'drop', object, name: reader.qualifiedName() ?? '', ifExists };
    }
    case 'pragma': {
      const name = reader.qualifiedName() ?? '';
      const next = reader.next();
      let value: string | null = null;
      if (next?.value === '=' || next?.value === '(') {
        const v = reader.next();
        if (v) value = v.type === 'punct' && (v.value === '-' || v.value === '+') ? v.text + (reader.next()?.text ?? '') : v.type === 'word' ? v.text : v.value;
      }
      return { kind: 'pragma', name: name.toLowerCase(), value };
    }
    case 'vacuum':
      return { kind: 'vacuum' };
    case 'attach':
      return { kind: 'attach' };
    case 'detach':
      return { kind: 'detach' };
    case 'begin':
    case 'commit':
    case 'end':
    case 'rollback':
      // Savepoints nest inside the migration's transaction, and so does ROLLBACK TO one; the others do not.
      return first === 'rollback' && tokens.some((t) => t.type === 'word' && t.value === 'to')
        ? { kind: 'other' }
        : { kind: 'transaction-control', verb: first };
    case 'insert':
    case 'replace':
    case 'update':
    case 'delete':
    case 'with':
    case 'select':
    case 'values':
      return { kind: 'dml' };
    default:
      return { kind: 'other' };
  }
}

function createShape(reader: Reader): StatementShape {
  if (!reader.take('temp')) reader.take('temporary');
  const unique = reader.take('unique');
  const object = reader.word();
  if (object === 'virtual') reader.take('table');
  const ifNotExists = reader.takeAll('if', 'not', 'exists');
  const start = reader.peek()?.start ?? 0;
  const name = reader.qualifiedName() ?? '';
  const end = reader.previousEnd();
  switch (object) {
    case 'table':
      return { kind: 'create-table', name, ifNotExists, nameAt: { start, end } };
    case 'index': {
      reader.take('on');
      return { kind: 'create-index', name, table: reader.qualifiedName() ?? '', unique, ifNotExists };
    }
    case 'view':
      return { kind: 'create-view', name, ifNotExists };
    case 'trigger':
      return { kind: 'create-trigger', name, ifNotExists };
    case 'virtual':
      return { kind: 'create-virtual-table', name, ifNotExists };
    default:
      return { kind: 'other' };
  }
}

function alterShape(reader: Reader, sql: string): StatementShape {
  const table = reader.qualifiedName() ?? '';
  const verb = reader.word();
  if (verb === 'rename') {
    if (reader.take('to')) return { kind: 'rename-table', table, to: reader.name() ?? '' };
    reader.take('column');
    const column = reader.name() ?? '';
    reader.take('to');
    return { kind: 'rename-column', table, column, to: reader.name() ?? '' };
  }
  if (verb === 'add') {
    reader.take('column');
    const at = reader.peek();
    const column = reader.name() ?? '';
    return { kind: 'add-column', table, column, definition: at ? sql.slice(at.start).trim().replace(/;\s*$/, '') : '' };
  }
  if (verb === 'drop') {
    reader.take('column');
    return { kind: 'drop-column', table, column: reader.name() ?? '' };
  }
  return { kind: 'other' };
}

class Reader {
  private at = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(): Token | undefined {
    return this.tokens[this.at];
  }

  next(): Token | undefined {
    const token = this.tokens[this.at];
    if (token) this.at += 1;
    return token;
  }

  /** The next bare word, lower-cased, or '' (and nothing consumed) when the next token is not one. */
  word(): string {
    const token = this.peek();
    if (token?.type !== 'word') return '';
    this.at += 1;
    return token.value;
  }

  take(word: string): boolean {
    const token = this.peek();
    if (token?.type === 'word' && token.value === word) {
      this.at += 1;
      return true;
    }
    return false;
  }

  takeAll(...words: string[]): boolean {
    const save = this.at;
    for (const word of words) {
      if (!this.take(word)) {
        this.at = save;
        return false;
      }
    }
    return true;
  }

  /** An identifier, quoted or bare, as written. */
  name(): string | null {
    const token = this.peek();
    if (!token || (token.type !== 'word' && token.type !== 'name' && token.type !== 'string')) return null;
    this.at += 1;
    return token.type === 'word' ? token.text : token.value;
  }

  /** `name` or `schema.name`; the schema is dropped (migrations run against main). */
  /** Where the last consumed token ends (0 before any). */
  previousEnd(): number {
    return this.tokens[this.at - 1]?.end ?? 0;
  }

  qualifiedName(): string | null {
    const first = this.name();
    if (first === null) return null;
    if (this.peek()?.value === '.') {
      this.at += 1;
      return this.name();
    }
    return first;
  }
}
