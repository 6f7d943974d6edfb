// `cairn tail` on a PostgreSQL store's table, on a real server: the same
// filters, output and follow as on SQLite.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../dist/index.js';
import { tailTable } from '../../dist/tail/index.js';
import { cliWith } from '../helpers.js';
import { mixedServerApp, pgQuery, startPostgres, type TestServer } from './server.js';

let server: TestServer;

const LOGS = `CREATE TABLE log_lines (
  id bigserial PRIMARY KEY,
  ts timestamptz NOT NULL,
  level text NOT NULL,
  msg text,
  attrs jsonb,
  at_ms bigint,
  at_text text
);
INSERT INTO log_lines (ts, level, msg, attrs, at_ms, at_text) VALUES
  ('2026-11-23T10:00:00Z', 'INFO', 'started', '{"pid": 1}', 1795428000000, '2026-11-23T10:00:00Z'),
  ('2026-11-23T10:05:00Z', 'warn', 'slow disk', NULL, 1795428300000, '2026-11-23 10:05:00'),
  ('2026-11-23T10:10:00Z', 'ERROR', 'disk full: 100%_used', '{"disk": "/dev/sda"}', 1795428600000, 'not a time'),
  ('2026-11-23T10:15:00Z', 'info', 'recovered', NULL, 1795428900000, NULL);
`;

function app(): Promise<{ dir: string; env: NodeJS.ProcessEnv; url: string }> {
  return mixedServerApp(server, {
    state: { '00001_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY);\n' },
    store: 'logs',
    files: { '00001_logs.sql': LOGS },
  });
}

const tail = (a: { dir: string; env: NodeJS.ProcessEnv }, ...argv: string[]) => cliWith({ cwd: a.dir, env: a.env }, 'tail', ...argv);

describe('cairn tail on a PostgreSQL store', () => {
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  it('finds the store that has the table and prints the last rows, times in ISO 8601 UTC, JSON values as JSON', async () => {
    const a = await app();
    const r = await tail(a, 'log_lines', '--lines', '2');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      '2026-11-23T10:10:00+00:00 level=ERROR msg="disk full: 100%_used" attrs={"disk":"/dev/sda"} at_ms=1795428600000 at_text="not a time"\n' +
        '2026-11-23T10:15:00+00:00 level=info msg=recovered at_ms=1795428900000\n',
    );
    assert.doesNotMatch(r.stderr, /not covered/);
    const json = await tail(a, 'log_lines', '--store', 'logs', '--lines', '1', '--json');
    assert.deepEqual(JSON.parse(json.stdout).row, {
      id: 4,
      ts: '2026-11-23T10:15:00+00:00',
      level: 'info',
      msg: 'recovered',
      attrs: null,
      at_ms: 1795428900000,
      at_text: null,
    });
  });

  it('filters: --match is case-insensitive, --contains takes % and _ literally, --from/--to read a timestamptz, epoch ms, and text', async () => {
    const a = await app();
    const levels = await tail(a, 'log_lines', '--match', 'level=info', '--json');
    assert.deepEqual(
      levels.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).row.msg),
      ['started', 'recovered'],
    );
    const literal = await tail(a, 'log_lines', '--contains', 'msg=100%_', '--json');
    assert.deepEqual(
      literal.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).row.id),
      [3],
    );
    assert.equal((await tail(a, 'log_lines', '--contains', 'msg=1000', '--json')).stdout, '');
    for (const column of ['ts', 'at_ms', 'at_text']) {
      const window = await tail(a, 'log_lines', '--time-column', column, '--from', '2026-11-23T10:04:00Z', '--to', '1795428660', '--json');
      assert.equal(window.code, 0, window.stderr);
      const ids = window.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).row.id);
      // at_text's third row is not a time: it never matches, and it does not fail the query either.
      assert.deepEqual(ids, column === 'at_text' ? [2] : [2, 3], column);
    }
  });

  it('--any, --where with bound values, and relative --since/--until, as on SQLite', async () => {
    const a = await app();
    const idsOf = async (...argv: string[]): Promise<number[]> => {
      const r = await tail(a, 'log_lines', '--json', ...argv);
      assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
      return r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).row.id);
    };
    assert.deepEqual(await idsOf('--match', 'level=warn', '--contains', 'msg=recover'), []);
    assert.deepEqual(await idsOf('--any', '--match', 'level=warn', '--contains', 'msg=recover'), [2, 4]);
    assert.deepEqual(await idsOf('--where', 'at_ms >= 1795428300000', '--where', 'attrs IS NULL'), [2, 4]);
    assert.deepEqual(await idsOf('--where', "msg LIKE 'disk%'"), [3]);
    assert.deepEqual(await idsOf('--where', "level = 'x'' OR ''1''=''1'"), []);
    assert.deepEqual(await idsOf('--until', '1m'), [1, 2, 3, 4]);
    assert.deepEqual(await idsOf('--since', '1m'), []);
    const wrongType = await tail(a, 'log_lines', '--where', 'at_ms > soon');
    assert.equal(wrongType.code, 64, 'a value the column cannot hold is the user\'s input, not "no rows"');
    assert.match(wrongType.stderr, /a filter value does not fit its column: .*"soon"/);
  });

  it('names what is wrong: an unknown table lists the schema tables, an unknown column lists the columns, no integer key asks for --id-column', async () => {
    const a = await app();
    await pgQuery(a.url, 'CREATE TABLE logs.events (name text PRIMARY KEY, body text)');
    const unknown = await tail(a, 'log_linez', '--store', 'logs');
    assert.equal(unknown.code, 64);
    assert.match(unknown.stderr, /no table "log_linez" in schema logs; it has: events, log_lines/);
    const column = await tail(a, 'log_lines', '--match', 'levle=x');
    assert.equal(column.code, 64);
    assert.match(column.stderr, /--match: log_lines has no column "levle"; its columns: id, ts, level, msg, attrs, at_ms, at_text/);
    const keyless = await tail(a, 'events', '--store', 'logs');
    assert.equal(keyless.code, 64);
    assert.match(keyless.stderr, /no single integer primary key.*--id-column/);
  });

  it('a server that cannot be reached while looking for the table is an error saying to name the store, never "no table"', async () => {
    const a = await app();
    const down = { ...a.env, LOGS_URL: 'postgres://nobody:secret-pw@127.0.0.1:1/none' };
    const r = await cliWith({ cwd: a.dir, env: down }, 'tail', 'notes');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /cannot connect.*while looking for the store with table "notes": name it with --store/s);
    assert.doesNotMatch(r.stderr, /secret-pw/);
    assert.equal((await cliWith({ cwd: a.dir, env: down }, 'tail', 'notes', '--store', 'state')).code, 0);
  });

  it('follows new rows as they land, from the library, until aborted', async () => {
    const a = await app();
    const registry = await loadConfig({ cwd: a.dir, env: a.env });
    const seen: number[] = [];
    const controller = new AbortController();
    const done = tailTable(registry, {
      table: 'log_lines',
      lines: 1,
      follow: true,
      pollMs: 20,
      env: a.env,
      signal: controller.signal,
      onRows: (rows) => {
        seen.push(...rows.map((r) => Number(r.id)));
        if (seen.length === 3) controller.abort();
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await pgQuery(a.url, "INSERT INTO logs.log_lines (ts, level) VALUES (now(), 'info'), (now(), 'debug')");
    const result = await done;
    assert.deepEqual(seen, [4, 5, 6]);
    assert.deepEqual(result, { store: 'logs', rows: 3 });
  });
});
