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

/** Marks and colour for human output; colour only on a TTY and never with NO_COLOR. */
export function styleFor(stream: Io['stdout'], env: NodeJS.ProcessEnv): Style {
  const color = Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb';
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

export function writeJson(io: Io, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
