import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { pipeline } from 'node:stream/promises';
import type { Client, QueryResultRow } from 'pg';
import { CairnError, errorMessage } from '../errors.js';
import { expandUrl, quotePgIdent, redactUrl, type PostgresTarget } from './target.js';

/**
 * One server session for one store: a single connection, since the
 * migration lock is session-scoped (an advisory lock the server releases
 * when the session ends, a killed holder included). `pg` is loaded here, on
 * the first PostgreSQL store a process touches: apps on SQLite alone never
 * load it.
 */
export interface PgSession {
  readonly pid: number;
  query<T extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  /** A statement whose row count matters (an INSERT … ON CONFLICT DO NOTHING: how many went in). */
  run<T extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[]): Promise<{ rows: T[]; rowCount: number }>;
  /**
   * `COPY … FROM STDIN` fed with `data` (COPY's text format), over the
   * session's own connection: one piece, or pieces made as the connection
   * takes them (a generator throwing ends the COPY with CopyFail).
   */
  copyIn(sql: string, data: string | Uint8Array | Iterable<string | Uint8Array>): Promise<void>;
  /**
   * The rows of `COPY (query) TO STDOUT` (text format), one string each with
   * COPY's escapes undone. No other query may run on the session until the
   * lines are all read (or the loop is left, which ends the COPY).
   */
  copyLines(sql: string): AsyncGenerator<string>;
  /**
   * One statement (the extended protocol refuses more), its rows as arrays in
   * column order so columns that share a name stay apart: `cairn sql`.
   */
  table(sql: string, params?: unknown[]): Promise<{ columns: string[]; rows: unknown[][]; rowCount: number | null; command: string }>;
  /** The same stream as the bytes arrive, rows split anywhere (CopyTextToLines reads them). */
  copyChunks(sql: string): AsyncGenerator<Buffer>;
  end(): Promise<void>;
}

export async function openSession(target: PostgresTarget, options: { applicationName?: string; env?: NodeJS.ProcessEnv } = {}): Promise<PgSession> {
  const connectionString = expandUrl(target, options.env);
  const { default: pg } = await import('pg');
  const client: Client = new pg.Client({ connectionString, application_name: options.applicationName ?? `cairn ${target.name}` });
  // An error on an idle connection (the server going away) must not crash the process; the next query reports it.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    // The cause is left out: the driver's error can carry connection parameters, and --json prints details.
    throw new CairnError(
      'E_CONFIG',
      `${target.name}: cannot connect to ${redactUrl(connectionString)} (schema ${target.schema}): ${redactSecrets(errorMessage(error), connectionString)}`,
      {
        store: target.name,
      },
    );
  }
  // One round trip: unqualified names in the store's files land in its schema (public stays visible for
  // extensions' functions), and from PostgreSQL 14 the server checks every second whether the client is
  // still there, so a killed migrator busy in a long statement frees its lock within a second, not at the statement's end.
  const setup = await client.query<{ pid: number }>(
    `SELECT pg_backend_pid() AS pid, set_config('search_path', $1, false) AS search_path,
            CASE WHEN current_setting('server_version_num')::int >= 140000 THEN set_config('client_connection_check_interval', '1s', false) END AS check_interval`,
    [`${quotePgIdent(target.schema)}, public`],
  );
  async function* copyChunks(sql: string): AsyncGenerator<Buffer> {
    const { to } = (await import('pg-copy-streams')).default;
    const stream = client.query(to(sql));
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
    } catch (error) {
      throw serverRefusal(target, error) ?? error;
    } finally {
      stream.destroy();
    }
  }
  return {
    pid: setup.rows[0]!.pid,
    async query<T extends QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]> {
      try {
        return (await client.query<T>(sql, params)).rows;
      } catch (error) {
        throw serverRefusal(target, error) ?? error;
      }
    },
    async run<T extends QueryResultRow>(sql: string, params?: unknown[]): Promise<{ rows: T[]; rowCount: number }> {
      try {
        const result = await client.query<T>(sql, params);
        return { rows: result.rows, rowCount: result.rowCount ?? 0 };
      } catch (error) {
        throw serverRefusal(target, error) ?? error;
      }
    },
    async table(sql: string, params: unknown[] = []) {
      try {
        // queryMode 'extended' (pg 8.11+, not in its types): a second statement is an error, never silently run too.
        const config = { text: sql, values: params, rowMode: 'array' as const, queryMode: 'extended' };
        const result = await client.query<unknown[]>(config);
        return { columns: result.fields.map((f) => f.name), rows: result.rows, rowCount: result.rowCount, command: result.command };
      } catch (error) {
        throw serverRefusal(target, error) ?? error;
      }
    },
    async copyIn(sql: string, data: string | Uint8Array | Iterable<string | Uint8Array>): Promise<void> {
      // Loaded on the first COPY: only imports and backfills into a server need it.
      const { from } = (await import('pg-copy-streams')).default;
      try {
        await pipeline(Readable.from(typeof data === 'string' || data instanceof Uint8Array ? [data] : data), client.query(from(sql)));
      } catch (error) {
        throw serverRefusal(target, error) ?? error;
      }
    },
    copyChunks,
    async *copyLines(sql: string): AsyncGenerator<string> {
      const decoder = new StringDecoder('utf8');
      let rest = '';
      for await (const chunk of copyChunks(sql)) {
        const text = rest + decoder.write(chunk);
        let start = 0;
        for (let end = text.indexOf('\n'); end !== -1; start = end + 1, end = text.indexOf('\n', start)) yield unescapeCopy(text.slice(start, end));
        rest = text.slice(start);
      }
      if (rest + decoder.end()) throw new Error('COPY TO ended inside a row');
    },
    async end() {
      await client.end();
    },
  };
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\', n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v' };

/** A COPY text-format field with its backslash escapes undone (COPY TO writes no other kind). */
function unescapeCopy(field: string): string {
  return field.includes('\\') ? field.replace(/\\([\\nrtbfv])/g, (_, ch: string) => COPY_ESCAPES[ch] as string) : field;
}

/** A driver message with the URL's password cut out, should the driver ever echo it. */
function redactSecrets(message: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    return message;
  }
  return password ? message.split(password).join('***') : message;
}

/**
 * What the server refused that no file or flag can fix, as a CairnError naming
 * the store and what to do: the user lacks a privilege (SQLSTATE 42501), or the
 * server's disk is full (53100). Anything else stays the server's own error
 * (a migration statement's failure is reported with its file and line).
 */
function serverRefusal(target: PostgresTarget, error: unknown): CairnError | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === '42501') {
    return new CairnError(
      'E_PERMISSION',
      `${target.name}: PostgreSQL refused: ${errorMessage(error)}. The store's user needs CREATE on the database (for schema ${target.schema}) and on the schema, or the schema made for it by an owner; grant it, or use a user that has it`,
      { store: target.name, sqlstate: code },
    );
  }
  if (code === '53100') {
    return new CairnError(
      'E_DISK_FULL',
      `${target.name}: the PostgreSQL server's disk is full (${errorMessage(error)}); the statement was rolled back. Free space on the server and run again`,
      {
        store: target.name,
        sqlstate: code,
      },
    );
  }
  return null;
}

/** Runs `fn` in one transaction on the session: committed when it returns, rolled back when it throws. */
export async function inTransaction<T>(session: PgSession, fn: () => Promise<T>): Promise<T> {
  await session.query('BEGIN');
  try {
    const out = await fn();
    await session.query('COMMIT');
    return out;
  } catch (error) {
    await session.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
