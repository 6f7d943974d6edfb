/**
 * Splits plain SQL text into statements the way SQLite itself decides a
 * statement is complete (the state machine of sqlite3_complete()): a `;`
 * ends a statement unless it sits in a string, a quoted identifier, a
 * comment, or the body of a CREATE TRIGGER, which ends only at `END;`.
 * Statements keep their own text; empty ones (a lone `;`) are dropped.
 */
export interface SplitStatement {
  sql: string;
  /** 1-based line where the statement starts. */
  line: number;
}

type Token = 'semi' | 'ws' | 'other' | 'explain' | 'create' | 'temp' | 'trigger' | 'end';
const TOKEN_INDEX: Record<Token, number> = { semi: 0, ws: 1, other: 2, explain: 3, create: 4, temp: 5, trigger: 6, end: 7 };

// States: 0 invalid, 1 start, 2 normal, 3 explain, 4 create, 5 trigger, 6 semi, 7 end.
const TRANSITIONS: readonly (readonly number[])[] = [
  /* 0 invalid */ [1, 0, 2, 3, 4, 2, 2, 2],
  /* 1 start   */ [1, 1, 2, 3, 4, 2, 2, 2],
  /* 2 normal  */ [1, 2, 2, 2, 2, 2, 2, 2],
  /* 3 explain */ [1, 3, 3, 2, 4, 2, 2, 2],
  /* 4 create  */ [1, 4, 2, 2, 2, 4, 5, 2],
  /* 5 trigger */ [6, 5, 5, 5, 5, 5, 5, 5],
  /* 6 semi    */ [6, 6, 5, 5, 5, 5, 5, 7],
  /* 7 end     */ [1, 7, 5, 5, 5, 5, 5, 5],
];

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

export class SqlSplitError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

export function splitSqliteStatements(text: string): SplitStatement[] {
  const out: SplitStatement[] = [];
  let state = 0;
  let start = 0;
  let i = 0;
  let line = 1;
  let startLine = 1;
  let hasContent = false;

  const advanceLines = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (text.charCodeAt(k) === 10) line++;
  };

  while (i < text.length) {
    const ch = text[i] as string;
    let token: Token;
    let next = i + 1;
    if (ch === ';') {
      token = 'semi';
    } else if (/\s/.test(ch)) {
      token = 'ws';
    } else if (ch === '-' && text[i + 1] === '-') {
      const eol = text.indexOf('\n', i);
      next = eol === -1 ? text.length : eol;
      token = 'ws';
    } else if (ch === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close === -1) throw new SqlSplitError('unterminated /* comment', line);
      next = close + 2;
      token = 'ws';
    } else if (ch === "'" || ch === '"' || ch === '`') {
      next = closingQuote(text, i, ch, line);
      token = 'other';
    } else if (ch === '[') {
      const close = text.indexOf(']', i + 1);
      if (close === -1) throw new SqlSplitError('unterminated [identifier', line);
      next = close + 1;
      token = 'other';
    } else if (IDENT_CHAR.test(ch)) {
      while (next < text.length && IDENT_CHAR.test(text[next] as string)) next++;
      token = keyword(text.slice(i, next));
    } else {
      token = 'other';
    }

    if (token !== 'ws' && token !== 'semi' && !hasContent) {
      hasContent = true;
      start = i;
      startLine = line;
    }
    advanceLines(i, next);
    state = TRANSITIONS[state]![TOKEN_INDEX[token]]!;
    i = next;
    if (token === 'semi' && state === 1) {
      if (hasContent) out.push({ sql: text.slice(start, i).trim(), line: startLine });
      hasContent = false;
    }
  }
  if (hasContent) {
    const rest = text.slice(start).trim();
    // SQLite runs a last statement without `;`, except inside an open trigger body.
    if (state >= 5) throw new SqlSplitError(`unfinished CREATE TRIGGER starting ${JSON.stringify(rest.slice(0, 60))}: missing END; ?`, startLine);
    out.push({ sql: rest, line: startLine });
  }
  return out;
}

function closingQuote(text: string, at: number, quote: string, line: number): number {
  let j = at + 1;
  for (;;) {
    const k = text.indexOf(quote, j);
    if (k === -1) throw new SqlSplitError(`unterminated ${quote} quote`, line);
    if (text[k + 1] === quote) {
      j = k + 2; // doubled quote is an escaped quote
      continue;
    }
    return k + 1;
  }
}

function keyword(word: string): Token {
  switch (word.toLowerCase()) {
    case 'create':
      return 'create';
    case 'trigger':
      return 'trigger';
    case 'temp':
    case 'temporary':
      return 'temp';
    case 'end':
      return 'end';
    case 'explain':
      return 'explain';
    default:
      return 'other';
  }
}
