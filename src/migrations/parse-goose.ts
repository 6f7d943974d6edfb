import { EnvsubError, substituteEnv, type Env } from './envsub.js';

/**
 * The goose SQL grammar, line for line as goose's parser reads it, so a file
 * written for goose splits into exactly the statements goose would run:
 * - an annotation is a line starting with `--` that contains `+goose`; it must
 *   have no leading white space, one `+goose`, and a known command, matched
 *   case-insensitively;
 * - outside StatementBegin/End a statement ends at a line whose last word
 *   before any `--` comment ends with `;`;
 * - comments and blank lines before a statement are dropped; once a statement
 *   has begun, its lines are kept verbatim;
 * - each statement is trimmed of surrounding white space.
 */
export interface GooseSections {
  up: string[];
  /** null when the file has no `-- +goose Down` annotation. */
  down: string[] | null;
  /** The 1-based line each statement starts on, beside `up` and `down`. */
  upLines: number[];
  downLines: number[] | null;
  /** Each statement as written, before ENVSUB put values in (null where nothing was substituted): what a dry run shows. */
  upTemplates: (string | null)[];
  downTemplates: (string | null)[] | null;
  useTransaction: boolean;
}

export class GooseParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

type State = 'start' | 'up' | 'upBlock' | 'upBlockEnd' | 'down' | 'downBlock' | 'downBlockEnd';

type Annotation = 'up' | 'down' | 'statementbegin' | 'statementend' | 'no transaction' | 'envsub on' | 'envsub off';
const ANNOTATIONS = new Set<string>(['up', 'down', 'statementbegin', 'statementend', 'no transaction', 'envsub on', 'envsub off']);

const DOCS = 'see https://github.com/pressly/goose#sql-migrations';

/** True when the text holds any goose annotation line, i.e. goose's grammar applies. */
export function hasGooseAnnotations(text: string): boolean {
  return /^[ \t]*--.*\+goose/im.test(text);
}

export function extractAnnotation(line: string): Annotation {
  if (line.startsWith(' ') || line.startsWith('\t')) {
    throw new Error(`${JSON.stringify(line)} contains leading whitespace: invalid annotation`);
  }
  let cmd = line.replaceAll('--', '');
  cmd = cmd.replace('+goose', '');
  if (cmd.includes('+goose')) throw new Error(`${JSON.stringify(line)} contains multiple '+goose' annotations: invalid annotation`);
  cmd = cmd.trim();
  if (cmd === '') throw new Error('empty annotation');
  const key = cmd.toLowerCase().replace(/\s+/g, ' ');
  if (!ANNOTATIONS.has(key)) {
    throw new Error(`unknown annotation ${JSON.stringify(cmd)}; known: Up, Down, StatementBegin, StatementEnd, NO TRANSACTION, ENVSUB ON, ENVSUB OFF`);
  }
  return key as Annotation;
}

/** goose's endsWithSemicolon: the last whitespace-separated word before a `--` word ends with `;`. */
export function endsWithSemicolon(line: string): boolean {
  let prev = '';
  for (const word of line.split(/\s+/)) {
    if (word === '') continue;
    if (word.startsWith('--')) break;
    prev = word;
  }
  return prev.endsWith(';');
}

export function parseGoose(text: string, env: Env = {}): GooseSections {
  const up = parseDirection(text, 'up', env);
  const down = parseDirection(text, 'down', env);
  const hasDown = text.split('\n').some((line) => isAnnotationLine(line) && safeAnnotation(line) === 'down');
  return {
    up: up.statements,
    down: hasDown ? down.statements : null,
    upLines: up.lines,
    downLines: hasDown ? down.lines : null,
    upTemplates: up.templates,
    downTemplates: hasDown ? down.templates : null,
    useTransaction: up.useTransaction,
  };
}

function isAnnotationLine(line: string): boolean {
  return line.trim().startsWith('--') && line.includes('+goose');
}

function safeAnnotation(line: string): Annotation | null {
  try {
    return extractAnnotation(line);
  } catch {
    return null;
  }
}

function parseDirection(
  text: string,
  direction: 'up' | 'down',
  env: Env,
): { statements: string[]; lines: number[]; templates: (string | null)[]; useTransaction: boolean } {
  // bufio.Scanner's ScanLines: split on \n and drop one trailing \r.
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();

  let state: State = 'start';
  let useTransaction = true;
  let envsub = false;
  let buf = '';
  // The same lines as written: ENVSUB is applied line by line as goose does, so a statement may be partly substituted.
  let written = '';
  let bufLine = 0;
  const statements: string[] = [];
  const startLines: number[] = [];
  const templates: (string | null)[] = [];
  const emit = (): void => {
    statements.push(buf.trim());
    templates.push(written === buf ? null : written.trim());
    startLines.push(bufLine);
    buf = '';
    written = '';
  };
  const substituted = (line: string, lineNo: number): string => {
    if (!envsub) return line;
    try {
      return substituteEnv(line, env);
    } catch (error) {
      if (error instanceof EnvsubError) throw new GooseParseError(`variable substitution failed: ${error.message}`, lineNo);
      throw error;
    }
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const lineNo = i + 1;
    if (state === 'start' && line.trim() === '') continue;

    if (isAnnotationLine(line)) {
      let cmd: Annotation;
      try {
        cmd = extractAnnotation(line);
      } catch (error) {
        throw new GooseParseError(`failed to parse annotation line ${JSON.stringify(line)}: ${(error as Error).message}`, lineNo);
      }
      let fallThrough = false;
      switch (cmd) {
        case 'up':
          if (state !== 'start') throw new GooseParseError(`duplicate '-- +goose Up' annotations; ${DOCS}`, lineNo);
          state = 'up';
          break;
        case 'down':
          if (state !== 'up' && state !== 'upBlockEnd') {
            throw new GooseParseError(`'-- +goose Down' must come after '-- +goose Up' (and outside a StatementBegin block); ${DOCS}`, lineNo);
          }
          if (buf.trim() !== '') throw missingSemicolon(buf, lineNo);
          state = 'down';
          break;
        case 'statementbegin':
          if (state === 'up' || state === 'upBlockEnd') state = 'upBlock';
          else if (state === 'down' || state === 'downBlockEnd') state = 'downBlock';
          else throw new GooseParseError(`'-- +goose StatementBegin' must be defined after '-- +goose Up' or '-- +goose Down' annotation; ${DOCS}`, lineNo);
          break;
        case 'statementend':
          if (state === 'upBlock') state = 'upBlockEnd';
          else if (state === 'downBlock') state = 'downBlockEnd';
          else throw new GooseParseError(`'-- +goose StatementEnd' must be defined after '-- +goose StatementBegin'; ${DOCS}`, lineNo);
          fallThrough = true; // goose goes on to store the block below
          break;
        case 'no transaction':
          useTransaction = false;
          break;
        case 'envsub on':
          envsub = true;
          break;
        case 'envsub off':
          envsub = false;
          break;
      }
      if (!fallThrough) continue;
    }

    // Comments and blank lines before a statement are dropped.
    if (buf.length === 0 && (line.trim().startsWith('--') || line === '')) continue;

    // goose goes on with the substituted line: a value ending in ';' ends the statement there too.
    let effective = line;
    if (state !== 'upBlockEnd' && state !== 'downBlockEnd') {
      if (buf === '') bufLine = lineNo;
      effective = substituted(line, lineNo);
      buf += effective + '\n';
      written += line + '\n';
    }

    if (state === 'start') {
      throw new GooseParseError(
        `SQL before '-- +goose Up' on line ${JSON.stringify(line)}; every statement must follow an Up or Down annotation; ${DOCS}`,
        lineNo,
      );
    }
    const inUp = state === 'up' || state === 'upBlock' || state === 'upBlockEnd';
    if (inUp !== (direction === 'up')) {
      buf = '';
      written = '';
      if (state === 'upBlockEnd') state = 'up';
      else if (state === 'downBlockEnd') state = 'down';
      continue;
    }
    if (state === 'up' || state === 'down') {
      if (endsWithSemicolon(effective)) emit();
    } else if (state === 'upBlockEnd') {
      emit();
      state = 'up';
    } else if (state === 'downBlockEnd') {
      emit();
      state = 'down';
    }
  }

  if (state === 'start') throw new GooseParseError(`must start with '-- +goose Up' annotation; ${DOCS}`, lines.length);
  if (state === 'upBlock' || state === 'downBlock') throw new GooseParseError(`missing '-- +goose StatementEnd' annotation`, lines.length);
  if (buf.trim() !== '') throw missingSemicolon(buf, lines.length);
  return { statements, lines: startLines, templates, useTransaction };
}

function missingSemicolon(buf: string, lineNo: number): GooseParseError {
  return new GooseParseError(`unexpected unfinished SQL query ${JSON.stringify(buf.trim())}: missing semicolon?`, lineNo);
}
