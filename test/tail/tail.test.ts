import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { cli, cliWith, scratchApp, spawnCli } from '../helpers.js';

const LOGS = {
  '0001_logs.sql':
    'CREATE TABLE logs (id INTEGER PRIMARY KEY, at TEXT NOT NULL, level TEXT NOT NULL, module TEXT NOT NULL, message TEXT NOT NULL);\n' +
    'CREATE TABLE metrics (name TEXT NOT NULL, ts_ms INTEGER NOT NULL, value REAL NOT NULL);\n',
};
const BASE = Date.UTC(2026, 10, 23, 10, 0, 0);
const LEVELS = ['info', 'debug', 'WARN', 'error'];

async function logsApp(rows = 250): Promise<{ dir: string; db: string }> {
  const { dir } = scratchApp({ obs: LOGS });
  assert.equal((await cli(dir, 'migrate')).code, 0);
  const db = path.join(dir, 'obs.sqlite');
  const conn = new Database(db);
  const insert = conn.prepare('INSERT INTO logs (at, level, module, message) VALUES (?, ?, ?, ?)');
  const metric = conn.prepare('INSERT INTO metrics (name, ts_ms, value) VALUES (?, ?, ?)');
  conn.transaction(() => {
    for (let i = 1; i <= rows; i++) {
      insert.run(
        new Date(BASE + i * 60_000).toISOString(),
        LEVELS[i % 4],
        i % 5 === 0 ? 'core::net' : 'core::ui',
        `event ${i}${i % 10 === 0 ? ' timed out' : ''}`,
      );
      metric.run(i % 2 ? 'cpu' : 'mem', BASE + i * 1000, i / 10);
    }
  })();
  conn.close();
  return { dir, db };
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { row: Record<string, unknown> }).row);

test('tail prints the last N rows in id order (200 by default), finding the store that has the table', async () => {
  const app = await logsApp();
  const all = await cli(app.dir, 'tail', 'logs', '--json');
  assert.equal(all.code, 0, all.stderr);
  const rows = jsonLines(all.stdout);
  assert.equal(rows.length, 200);
  assert.deepEqual(
    rows.map((r) => r.id),
    Array.from({ length: 200 }, (_, i) => i + 51),
  );
  // The time column prints as local ISO 8601: a fixed zone here, so the line is known.
  const three = await spawnCli(app.dir, ['tail', 'logs', '-n', '3'], { TZ: 'UTC' });
  assert.equal(
    three.stdout,
    [248, 249, 250]
      .map(
        (i) =>
          `${new Date(BASE + i * 60_000).toISOString().replace('.000Z', '+00:00')} level=${LEVELS[i % 4]} module=${i % 5 === 0 ? 'core::net' : 'core::ui'} message="event ${i}${i % 10 === 0 ? ' timed out' : ''}"`,
      )
      .join('\n') + '\n',
  );
});

test('filters combine: exact (case-insensitive, any of several values), substring, and a time window', async () => {
  const app = await logsApp();
  const r = await cli(
    app.dir,
    'tail',
    'logs',
    '--json',
    '--match',
    'level=warn',
    '--match',
    'level=ERROR',
    '--contains',
    'message=TIMED',
    '--match',
    'module=CORE::NET',
    '--from',
    new Date(BASE + 20 * 60_000).toISOString(),
    '--to',
    String((BASE + 200 * 60_000) / 1000),
  );
  assert.equal(r.code, 0, r.stderr);
  const expected = [];
  for (let i = 20; i <= 200; i++) if ((i % 4 === 2 || i % 4 === 3) && i % 10 === 0 && i % 5 === 0) expected.push(i);
  assert.deepEqual(
    jsonLines(r.stdout).map((row) => row.id),
    expected,
  );
  assert.ok(expected.length > 3);
  // A zone offset is honoured: 11:00+01:00 is 10:00Z.
  const offset = await cli(app.dir, 'tail', 'logs', '--json', '--to', '2026-11-23T11:02:00+01:00');
  assert.deepEqual(
    jsonLines(offset.stdout).map((row) => row.id),
    [1, 2],
  );
  // An integer column in milliseconds is read as such; a LIKE wildcard in the text is literal.
  const metrics = await cli(app.dir, 'tail', 'metrics', '--json', '--time-column', 'ts_ms', '--from', String((BASE + 245_000) / 1000), '--match', 'name=cpu');
  assert.deepEqual(
    jsonLines(metrics.stdout).map((row) => row.value),
    [24.5, 24.7, 24.9],
  );
  const literal = await cli(app.dir, 'tail', 'logs', '--json', '--contains', 'message=event_1');
  assert.equal(literal.stdout, '');
});

test('bad input names what was expected, and exits 64', async () => {
  const app = await logsApp(5);
  const cases: [string[], RegExp][] = [
    [['--from', 'yesterday'], /--from "yesterday": expected an RFC 3339 time with a zone .* or unix seconds/],
    [['--to', '2026-11-23T10:00:00'], /--to "2026-11-23T10:00:00": expected an RFC 3339 time with a zone/],
    // Days that do not exist are refused, not rolled over into the next month.
    [['--from', '2026-02-30T00:00:00Z'], /--from "2026-02-30T00:00:00Z": expected an RFC 3339 time/],
    [['--from', '2025-02-29T00:00:00Z'], /--from "2025-02-29T00:00:00Z": expected an RFC 3339 time/],
    [['--to', '2026-04-31T00:00:00Z'], /--to "2026-04-31T00:00:00Z": expected an RFC 3339 time/],
    [['--to', '2026-00-10T00:00:00Z'], /--to "2026-00-10T00:00:00Z": expected an RFC 3339 time/],
    [['--match', 'lvl=x'], /--match: logs has no column "lvl"; its columns: id, at, level, module, message/],
    [['--match', 'level'], /--match "level": expected column=value/],
    [['--lines', 'many'], /--lines "many": expected a whole number/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(app.dir, 'tail', 'logs', ...args);
    assert.equal(r.code, 64, args.join(' '));
    assert.match(r.stderr, message);
  }
  const noTable = await cli(app.dir, 'tail', 'nope');
  assert.equal(noTable.code, 64);
  assert.match(noTable.stderr, /no store has a table "nope"/);
  const noTime = await cli(app.dir, 'tail', 'metrics', '--from', '0');
  assert.match(noTime.stderr, /name its time column with --time-column \(columns: name, ts_ms, value\)/);
});

test('--follow prints rows as they land, never blocks a writer that does not wait, and stops cleanly', async () => {
  const app = await logsApp(10);
  const controller = new AbortController();
  let seen = '';
  const tail = cliWith(
    { cwd: app.dir, signal: controller.signal, onStdout: (s) => (seen += s) },
    'tail',
    'logs',
    '-n',
    '2',
    '--follow',
    '--poll-ms',
    '10',
    '--json',
    '--match',
    'level=error',
  );
  // A writer with no busy timeout at all: any lock the tail held would fail its writes with SQLITE_BUSY.
  const writer = new Database(app.db, { timeout: 0 });
  const insert = writer.prepare('INSERT INTO logs (at, level, module, message) VALUES (?, ?, ?, ?)');
  for (let i = 0; i < 400; i++) {
    insert.run(new Date().toISOString(), i % 2 ? 'error' : 'info', 'live', `live ${i}`);
    if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 15));
  }
  writer.close();
  const deadline = Date.now() + 10_000;
  while (!seen.includes('"live 399"') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  controller.abort();
  const r = await tail;
  assert.equal(r.code, 0);
  const rows = jsonLines(r.stdout);
  const live = rows.filter((row) => row.module === 'live').map((row) => row.message);
  assert.deepEqual(
    live,
    Array.from({ length: 200 }, (_, k) => `live ${2 * k + 1}`),
  );
  assert.deepEqual(
    rows.slice(0, 2).map((row) => row.level),
    ['error', 'error'],
  );
  const ids = rows.map((row) => row.id as number);
  assert.deepEqual(
    ids,
    [...ids].sort((a, b) => a - b),
  );
});
