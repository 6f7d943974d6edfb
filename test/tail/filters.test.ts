// tail's reading options through the CLI: relative --since/--until, --any
// across --match/--contains, --where with bound values, and the time column
// printed as local ISO 8601 (epoch numbers and zone-less text recognised).
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { cli, scratchApp, spawnCli } from '../helpers.js';

const SCHEMA = {
  '0001_events.sql':
    'CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL, level TEXT NOT NULL, user TEXT, duration_ms INTEGER, note TEXT);\n' +
    'CREATE TABLE samples (id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, sqlite_time TEXT NOT NULL);\n',
};

/** Events k minutes ago for k = 1..60 (id = k), levels cycling, every third without a user. */
async function eventsApp(): Promise<{ dir: string; db: string }> {
  const { dir } = scratchApp({ obs: SCHEMA });
  assert.equal((await cli(dir, 'migrate')).code, 0);
  const db = path.join(dir, 'obs.sqlite');
  const conn = new Database(db);
  const insert = conn.prepare('INSERT INTO events (id, at, level, user, duration_ms, note) VALUES (?, ?, ?, ?, ?, ?)');
  const now = Date.now();
  for (let k = 60; k >= 1; k--) {
    insert.run(
      k,
      new Date(now - k * 60_000).toISOString(),
      ['info', 'warn', 'error'][k % 3],
      k % 3 === 0 ? null : `u${k}`,
      k * 100,
      k === 7 ? "it's 100% done" : `note ${k}`,
    );
  }
  conn.close();
  return { dir, db };
}

const ids = (stdout: string): number[] =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { row: { id: number } }).row.id)
    .sort((a, b) => a - b);

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('--since and --until take a time ago, RFC 3339, now or unix seconds; --from/--to are the same filters', async () => {
  const { dir } = await eventsApp();
  const since = await cli(dir, 'tail', 'events', '--json', '--since', '10m30s');
  assert.equal(since.code, 0, since.stderr);
  assert.deepEqual(ids(since.stdout), range(1, 10));
  assert.deepEqual(ids((await cli(dir, 'tail', 'events', '--json', '--since', 'PT1H0M30S', '--until', '49m30s ago')).stdout), range(50, 60));
  assert.deepEqual(ids((await cli(dir, 'tail', 'events', '--json', '--since', '1.5h', '--until', 'now', '-n', '100')).stdout), range(1, 60));
  assert.deepEqual(ids((await cli(dir, 'tail', 'events', '--json', '--from', '5m')).stdout), range(1, 4));
  const both = await cli(dir, 'tail', 'events', '--since', '1h', '--from', '2h');
  assert.equal(both.code, 64);
  assert.match(both.stderr, /--since and --from are the same filter/);
  for (const bad of ['1M', '1y', 'P1M', '5 minutes', 'PT', '-1h']) {
    const r = await cli(dir, 'tail', 'events', '--since', bad);
    assert.equal(r.code, 64, bad);
    assert.match(r.stderr, new RegExp(`--since "${bad}": expected an RFC 3339 time with a zone .*a time ago \\(30s, 15m`));
  }
});

test('--any matches rows that meet any --match or --contains instead of all; --where always applies', async () => {
  const { dir } = await eventsApp();
  const all = await cli(dir, 'tail', 'events', '--json', '--match', 'level=error', '--contains', 'note=note 1');
  // error is k % 3 === 2; "note 1" is in note 1, 10-19.
  assert.deepEqual(ids(all.stdout), [11, 14, 17]);
  const any = await cli(dir, 'tail', 'events', '--json', '--any', '--match', 'level=error', '--contains', 'note=note 1', '-n', '100');
  const expected = range(1, 60).filter((k) => k % 3 === 2 || k === 1 || (k >= 10 && k <= 19));
  assert.deepEqual(ids(any.stdout), expected);
  const bounded = await cli(dir, 'tail', 'events', '--json', '--any', '--match', 'level=error', '--contains', 'note=note 1', '--where', 'duration_ms < 1500');
  assert.deepEqual(
    ids(bounded.stdout),
    expected.filter((k) => k * 100 < 1500),
  );
});

test('--where compares a column with a bound value: numbers, quoted text, LIKE, IS NULL; never SQL', async () => {
  const { dir, db } = await eventsApp();
  const run = async (...where: string[]) => {
    const r = await cli(dir, 'tail', 'events', '--json', '-n', '100', ...where.flatMap((w) => ['--where', w]));
    assert.equal(r.code, 0, `${where.join(' ')}: ${r.stderr}`);
    return ids(r.stdout);
  };
  assert.deepEqual(await run('duration_ms >= 5800'), [58, 59, 60]);
  assert.deepEqual(await run('duration_ms>5800', 'duration_ms <> 5900'), [60]);
  assert.deepEqual(await run("note = 'note 3'"), [3]);
  assert.deepEqual(await run("note = 'it''s 100% done'"), [7]);
  assert.deepEqual(await run("note LIKE 'note 5_'"), range(50, 59));
  assert.deepEqual(await run('user IS NULL', 'duration_ms <= 900'), [3, 6, 9]);
  assert.deepEqual(await run('user is not null', 'duration_ms < 300'), [1, 2]);
  assert.deepEqual(await run('"level" == error', 'id < 7'), [2, 5]);
  // What would be an injection if pasted is a value compared as text: no row has it, and the table is untouched.
  assert.deepEqual(await run("level = 'x' OR 1=1; DROP TABLE events; --'"), []);
  assert.deepEqual(await run('level = x OR 1=1'), []);
  const conn = new Database(db, { readonly: true });
  assert.equal((conn.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 60);
  conn.close();
  for (const [bad, message] of [
    ['duration_ms', /expected "column operator value"/],
    ['duration_ms >=', /no value after >=/],
    ['user IS NULL 3', /IS NULL takes no value/],
    ['nope = 1', /--where: events has no column "nope"/],
    ['level ~ x', /expected "column operator value"/],
    ['duration_ms > soon', /events\.duration_ms holds numbers \(INTEGER\), and "soon" is not one/],
  ] as const) {
    const r = await cli(dir, 'tail', 'events', '--where', bad);
    assert.equal(r.code, 64, bad);
    assert.match(r.stderr, message);
  }
});

test('the time column prints as local ISO 8601 with its offset: ISO text, epoch milliseconds, zone-less SQLite text', async () => {
  const { dir, db } = await eventsApp();
  const conn = new Database(db);
  conn.prepare('INSERT INTO samples (ts_ms, sqlite_time) VALUES (?, ?)').run(Date.UTC(2026, 10, 23, 10, 0, 5, 250), '2026-11-23 10:00:05');
  conn.close();
  const kolkata = { TZ: 'Asia/Kolkata' };
  const ms = await spawnCli(dir, ['tail', 'samples', '--time-column', 'ts_ms'], kolkata);
  assert.equal(ms.code, 0, ms.stderr);
  assert.equal(ms.stdout, '2026-11-23T15:30:05.250+05:30 sqlite_time="2026-11-23 10:00:05"\n');
  const text = await spawnCli(dir, ['tail', 'samples', '--time-column', 'sqlite_time'], { TZ: 'America/St_Johns' });
  assert.equal(text.stdout, '2026-11-23T06:30:05-03:30 ts_ms=1795428005250\n');
  const json = await spawnCli(dir, ['tail', 'samples', '--time-column', 'ts_ms', '--json'], kolkata);
  assert.equal(JSON.parse(json.stdout).row.ts_ms, 1795428005250, '--json keeps the value as stored');
});
