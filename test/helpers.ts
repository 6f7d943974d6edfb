import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { run } from '../dist/cli/program.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(REPO, 'dist', 'cli', 'bin.js');

export function tempDir(prefix = 'cairn-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A scratch app: a config with the given stores and their migration files. */
export function scratchApp(stores: Record<string, Record<string, string>>, extra: Record<string, unknown> = {}): { dir: string; config: string } {
  const dir = tempDir();
  const config: { stores: Record<string, unknown> } = { stores: {} };
  for (const [name, files] of Object.entries(stores)) {
    const migrations = path.join(dir, 'migrations', name);
    fs.mkdirSync(migrations, { recursive: true });
    for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(migrations, file), text);
    config.stores[name] = { file: `${name}.sqlite`, migrations: `migrations/${name}`, ...((extra[name] as object) ?? {}) };
  }
  const configFile = path.join(dir, 'cairn.config.json');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  return { dir, config: configFile };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output. */
export async function cli(cwd: string, ...argv: string[]): Promise<CliResult> {
  return cliWith({ cwd }, ...argv);
}

/** cli() with a signal that stops a long-running command, and a hook seeing stdout as it is written. */
export async function cliWith(
  options: { cwd: string; signal?: AbortSignal; onStdout?: (text: string) => void; env?: NodeJS.ProcessEnv },
  ...argv: string[]
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: {
      write: (s: string) => {
        stdout += s;
        options.onStdout?.(s);
      },
    },
    stderr: { write: (s: string) => (stderr += s) },
    env: { ...(options.env ?? process.env), NO_COLOR: '1' },
    cwd: options.cwd,
    signal: options.signal,
  });
  return { code, stdout, stderr };
}

/** Runs the real bin in a child process. */
export function spawnCli(cwd: string, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { cwd, env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Rows of one query on a database file, opened read-only and closed again. */
export function readRows(file: string, sql: string): unknown[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}
