import { spawn } from 'node:child_process';
import { isPostgresStore, type PostgresStore, type ResolvedStore } from '../config/stores.js';
import { CairnError } from '../errors.js';
import { databaseExists } from '../sqlite/files.js';

/**
 * `cairn sql STORE` with no query: the database's own shell on the store,
 * read-only unless `write` (`sqlite3 -readonly FILE`; `psql` with the
 * store's schema first on its search_path and, unless `write`, every
 * transaction read-only). The password goes in the shell's environment,
 * never on its command line, where `ps` would show it. Resolves to the
 * shell's exit status.
 */
export async function openShell(store: ResolvedStore | PostgresStore, options: { write?: boolean; env: NodeJS.ProcessEnv }): Promise<number> {
  if (isPostgresStore(store)) {
    const { expandUrl } = await import('../postgres/target.js');
    return runShell('psql', [], { ...options.env, ...psqlEnv(expandUrl(store, options.env), store.schema, Boolean(options.write)) }, store.name);
  }
  if (!databaseExists(store.file)) {
    throw new CairnError('E_NO_DATABASE', `${store.name}: ${store.file} does not exist yet; run cairn migrate (or start the app) first`, {
      store: store.name,
      file: store.file,
    });
  }
  return runShell('sqlite3', options.write ? [store.file] : ['-readonly', store.file], options.env, store.name);
}

/** libpq's environment for a postgres:// URL (psql reads it), with the store's schema and read-only default as server options. */
function psqlEnv(url: string, schema: string, write: boolean): NodeJS.ProcessEnv {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = {};
  if (u.hostname) env.PGHOST = decodeURIComponent(u.hostname);
  if (u.port) env.PGPORT = u.port;
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  if (u.pathname.length > 1) env.PGDATABASE = decodeURIComponent(u.pathname.slice(1));
  const names: Record<string, string> = { sslmode: 'PGSSLMODE', host: 'PGHOST', port: 'PGPORT', application_name: 'PGAPPNAME' };
  for (const [key, value] of u.searchParams) if (names[key]) env[names[key]!] = value;
  // The schema is quoted for libpq's option parser (backslash escapes) and for the server (a double-quoted identifier).
  const path = `"${schema.replace(/"/g, '""')}",public`.replace(/[\\ ]/g, (ch) => `\\${ch}`);
  env.PGOPTIONS = `-c search_path=${path}${write ? '' : ' -c default_transaction_read_only=on'}`;
  return env;
}

function runShell(command: string, args: string[], env: NodeJS.ProcessEnv, store: string): Promise<number> {
  // Ctrl-C at the shell's prompt reaches this process too (one terminal process group): the shell handles it, this one waits.
  const ignore = (): void => {};
  process.on('SIGINT', ignore);
  return new Promise<number>((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', env });
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new CairnError('E_USAGE', `${store}: the ${command} shell is not installed (not on PATH); give a query instead: cairn sql ${store} "SELECT …"`, {
              store,
              command,
            })
          : error,
      );
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + (signalNumber(signal) ?? 1) : 1)));
  }).finally(() => process.off('SIGINT', ignore));
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  return { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 }[signal as string];
}
