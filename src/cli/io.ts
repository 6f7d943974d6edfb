import { schemaName, type JsonKind } from './json/kinds.js';

/** Where a command writes: stdout gets the result only; stderr gets progress, warnings and errors. */
export interface Io {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Stops a long-running command (tail --follow) the way Ctrl-C does; tests drive it in-process. */
  signal?: AbortSignal;
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

export interface Style {
  ok: string;
  warn: string;
  fail: string;
  idle: string;
  bold(text: string): string;
  dim(text: string): string;
}

/**
 * Whether to colour, by the shared conventions (no-color.org, force-color.org,
 * and Node's own rule that FORCE_COLOR wins): FORCE_COLOR set and not empty
 * decides (`0` or `false` turns colour off, anything else on, even in a pipe);
 * else NO_COLOR set and not empty turns it off; else a terminal that is not
 * TERM=dumb gets it. An empty variable counts as unset.
 */
export function colorWanted(stream: Io['stdout'], env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR) return false;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

/** Marks and colour for human output (colour as colorWanted says). */
export function styleFor(stream: Io['stdout'], env: NodeJS.ProcessEnv): Style {
  const color = colorWanted(stream, env);
  const paint = (code: string) => (text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  return {
    ok: paint('32')('✓'),
    warn: paint('33')('⚠'),
    fail: paint('31')('✗'),
    idle: paint('90')('○'),
    bold: paint('1'),
    dim: paint('2'),
  };
}

/**
 * A command's `--json` result: one line, its kind and version first
 * (`"schema": "cairn.status/1"`), so a consumer reads it with one JSON.parse
 * per line and knows what it holds (docs/json.md lists every kind's fields).
 */
export function writeJson(io: Io, kind: JsonKind, value: object): void {
  io.stdout.write(jsonLine(kind, value) + '\n');
}

export function jsonLine(kind: JsonKind, value: object, replacer?: (key: string, value: unknown) => unknown): string {
  return JSON.stringify({ schema: schemaName(kind), ...value }, replacer);
}

/** Whether progress bars are drawn: stderr is a terminal, and neither --json nor CI asks for plain output (progress.ts). */
export function showsProgress(io: Io, json?: boolean): boolean {
  return Boolean(io.stderr.isTTY) && !json && !io.env.CI;
}
