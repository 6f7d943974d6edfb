import { SqlSplitError, type SplitStatement } from './split-sqlite.js';

/**
 * Splits plain SQL text into statements the way psql decides where one ends
 * (its lexer, psqlscan.l): a `;` ends a statement unless it sits in a string
 * ('…', E'…' with backslash escapes, U&'…'), a quoted identifier, a
 * dollar-quoted body ($$…$$, $tag$…$tag$), a comment (block comments nest in
 * PostgreSQL), parentheses, or the BEGIN … END body of a
 * `CREATE [OR REPLACE] FUNCTION|PROCEDURE … BEGIN ATOMIC` (psql's own
 * heuristic: BEGIN, and CASE inside it, open; END closes). Statements keep
 * their text; empty ones (a lone `;`) are dropped. A string, identifier,
 * comment or dollar quote left open is an error naming its line, never a
 * statement silently swallowing the rest of the file.
 */
export function splitPostgresStatements(text: string): SplitStatement[] {
  const out: SplitStatement[] = [];
  const state = new StatementState();
  let start = -1;
  let startLine = 1;
  let line = 1;
  let i = 0;
  const skipTo = (next: number): void => {
    for (let k = i; k < next; k++) if (text.charCodeAt(k) === 10) line++;
    i = next;
  };
  const begin = (): void => {
    if (start < 0) {
      start = i;
      startLine = line;
    }
  };

  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === ';') {
      if (state.parens === 0 && state.blocks === 0) {
        if (start >= 0) out.push({ sql: text.slice(start, i + 1).trim(), line: startLine });
        start = -1;
        state.reset();
      }
      skipTo(i + 1);
    } else if (/\s/.test(ch)) {
      skipTo(i + 1);
    } else if (ch === '-' && text[i + 1] === '-') {
      const eol = text.indexOf('\n', i);
      skipTo(eol === -1 ? text.length : eol);
    } else if (ch === '/' && text[i + 1] === '*') {
      skipTo(closeComment(text, i, line));
    } else {
      begin();
      skipTo(scanToken(text, i, line, state));
    }
  }
  if (start >= 0) {
    const rest = text.slice(start).trim();
    if (state.parens > 0 || state.blocks > 0) {
      throw new SqlSplitError(
        `unfinished statement starting ${JSON.stringify(rest.slice(0, 60))}: ${state.parens > 0 ? 'a ( is never closed' : 'BEGIN without its END;'}`,
        startLine,
      );
    }
    out.push({ sql: rest, line: startLine });
  }
  return out;
}

/** What the current statement has opened: parentheses, and BEGIN/CASE … END blocks of a SQL-standard function body. */
class StatementState {
  parens = 0;
  blocks = 0;
  /** First letters of the statement's first four words, as psql keeps them, to recognise CREATE [OR REPLACE] FUNCTION|PROCEDURE. */
  private initials = '';

  reset(): void {
    this.parens = 0;
    this.blocks = 0;
    this.initials = '';
  }

  word(word: string): void {
    const lower = word.toLowerCase();
    if (this.initials.length < 4) this.initials += lower[0];
    const routine = /^c(f|p|or[fp])/.test(this.initials);
    if (!routine || this.parens > 0) return;
    if (lower === 'begin') this.blocks++;
    else if (lower === 'case' && this.blocks > 0) this.blocks++;
    else if (lower === 'end' && this.blocks > 0) this.blocks--;
  }
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

/** Scans one token from `at` (not whitespace, a comment or `;`) and returns where it ends. */
function scanToken(text: string, at: number, line: number, state: StatementState): number {
  const ch = text[at] as string;
  if (ch === "'") return closeQuote(text, at, "'", false, line);
  if (ch === '"') return closeQuote(text, at, '"', false, line);
  if (ch === '$') {
    const tag = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(text.slice(at, at + 64));
    if (tag) {
      const close = text.indexOf(tag[0], at + tag[0].length);
      if (close === -1) throw new SqlSplitError(`unterminated dollar-quoted string ${tag[0]}`, line);
      return close + tag[0].length;
    }
    let j = at + 1; // $1, a positional parameter
    while (j < text.length && /[0-9]/.test(text[j] as string)) j++;
    return j;
  }
  if (ch === '(') {
    state.parens++;
    return at + 1;
  }
  if (ch === ')') {
    if (state.parens > 0) state.parens--;
    return at + 1;
  }
  if (IDENT_START.test(ch)) {
    // E'…' (backslash escapes), and B'…', X'…', U&'…', N'…': a prefix glued to a string.
    const prefix = /^([EeBbXxNn]|[Uu]&)'/.exec(text.slice(at, at + 3));
    if (prefix) {
      const quoteAt = at + prefix[0].length - 1;
      return closeQuote(text, quoteAt, "'", /^[Ee]/.test(prefix[1] as string), line);
    }
    if (/^[Uu]&"/.test(text.slice(at, at + 3))) return closeQuote(text, at + 2, '"', false, line);
    let j = at + 1;
    while (j < text.length && IDENT_CHAR.test(text[j] as string)) j++;
    state.word(text.slice(at, j));
    return j;
  }
  return at + 1;
}

function closeQuote(text: string, at: number, quote: string, backslashEscapes: boolean, line: number): number {
  let j = at + 1;
  while (j < text.length) {
    const c = text[j];
    if (backslashEscapes && c === '\\') {
      j += 2;
      continue;
    }
    if (c === quote) {
      if (text[j + 1] === quote) {
        j += 2; // a doubled quote is a quote
        continue;
      }
      return j + 1;
    }
    j++;
  }
  throw new SqlSplitError(`unterminated ${quote === "'" ? 'string' : 'quoted identifier'} (${quote})`, line);
}

/** PostgreSQL block comments nest: a comment opened inside a comment needs its own close. */
function closeComment(text: string, at: number, line: number): number {
  let depth = 0;
  let j = at;
  while (j < text.length) {
    if (text[j] === '/' && text[j + 1] === '*') {
      depth++;
      j += 2;
    } else if (text[j] === '*' && text[j + 1] === '/') {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else {
      j++;
    }
  }
  throw new SqlSplitError('unterminated /* comment', line);
}
