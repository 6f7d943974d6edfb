// Snapshot lines made on the client from plain COPY text (copy-to-lines.ts)
// must be byte for byte the lines the server builds with valueJson
// (snapshot-lines.ts), for every type and every awkward value, whatever the
// database's own output settings; and a key's order must be byte order
// whether or not its collation already sorts that way.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { byteOrderedColumns } from '../../dist/postgres/byte-order.js';
import { CopyTextToLines } from '../../dist/postgres/copy-to-lines.js';
import { inTransaction, openSession, type PgSession } from '../../dist/postgres/session.js';
import { LINE_SETTINGS, lineSelectPg, plainSelectPg, storedColumns } from '../../dist/postgres/snapshot-lines.js';
import { pgQuery, startPostgres, type TestServer } from './server.js';

let server: TestServer;

const SCHEMA = `
CREATE TYPE mood AS ENUM ('ok', 'a "quoted" one');
CREATE DOMAIN short_text AS text CHECK (length(VALUE) < 100);
CREATE TABLE every (
  id integer PRIMARY KEY,
  i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision, num numeric, num2 numeric(12, 4), flag boolean, data bytea,
  body text, vc varchar(20), ch char(6), doc jsonb, raw json, at timestamptz, ts timestamp, day date, clock time, span interval,
  id2 uuid, addr inet, net cidr, tags text[], nums integer[], feeling mood, note short_text, bits bit varying(8), point point
);`;

const TEXTS = [
  '',
  'plain',
  'tab\there, newline\nhere, return\rhere',
  'quote " backslash \\ slash /',
  'literal \\v and \\N and \\t, not escapes',
  '\\N',
  '\u0001\u0007\u0008\u000b\u000c\u000e\u001f\u007f',
  'emoji 🚀, astral 𝄞, line separator \u2028, BOM \ufeff, é',
  '{"json": "in text"}',
];

async function fill(url: string): Promise<void> {
  await pgQuery(url, SCHEMA);
  let id = 0;
  for (const text of TEXTS) {
    await pgQuery(
      url,
      'INSERT INTO every (id, body, vc, ch, note, tags, raw, doc) VALUES ($1, $2, left($2, 20), left($2, 6), $2, ARRAY[$2, NULL], to_json($2::text), to_jsonb($2::text))',
      [++id, text],
    );
  }
  await pgQuery(
    url,
    `INSERT INTO every VALUES
      (100, -32768, -2147483648, -9223372036854775808, '-0', '-0', 0, 0, false, '\\x', ' x', 'x', '', '{}', '[]', '-infinity', 'infinity', '-infinity', '00:00', '-1 year -2 mons +3 days -04:05:06.789', '00000000-0000-0000-0000-000000000000', '::1', '10.0.0.0/8', '{}', '{}', 'ok', '', B'', '(0,0)'),
      (101, 32767, 2147483647, 9223372036854775807, 'Infinity', '-Infinity', 'Infinity', 12345678.1234, true, '\\x00ff0a5c22', 'a', 'abcdefghijklmnopqrst', 'abc', '{"b": [1, 2.50, null], "a": "\\u00e9"}', '{"b": 1, "a": 2}', '2026-11-23 10:00:00.123456+05:30', '1999-12-31 23:59:59.999999', '0001-01-01', '24:00', '1 day', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1/24', '192.168.0.0/24', '{"a b","c,d","e\\"f"}', '{1,NULL,3}', 'a "quoted" one', 'note', B'1010', '(1.5,-2)'),
      (102, NULL, NULL, NULL, 1.4e-45, 5e-324, '-Infinity', -0.00001, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      (103, 1, 2, 3, 0.1, 0.30000000000000004, '1e-20', 1, NULL, NULL, NULL, NULL, NULL, 'null', 'null', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      (104, NULL, NULL, NULL, 3.4028235e38, 2.2250738585072014e-308, 123456789012345678901234567890.123456789, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
  );
}

/** The lines both ways, in one REPEATABLE READ transaction with the export's settings. */
async function bothWays(session: PgSession, table: string): Promise<{ server: string; client: string }> {
  return inTransaction(session, async () => {
    await session.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    for (const setting of LINE_SETTINGS) await session.query(setting);
    const columns = [...(await storedColumns(session, 'public')).get(table)!.values()];
    const byteOrdered = (await byteOrderedColumns(session, 'public')).get(table);
    let serverLines = '';
    for await (const line of session.copyLines(`COPY (${lineSelectPg('public', table, columns, byteOrdered)}) TO STDOUT`)) serverLines += `${line}\n`;
    const blocks: Buffer[] = [];
    const convert = new CopyTextToLines(table, columns, (block) => blocks.push(Buffer.from(block)));
    // Chunks of 7 bytes: rows and multi-byte characters split anywhere.
    for await (const chunk of session.copyChunks(`COPY (${plainSelectPg('public', table, columns, byteOrdered)}) TO STDOUT`)) {
      for (let at = 0; at < chunk.length; at += 7) convert.push(chunk.subarray(at, at + 7));
    }
    convert.end();
    return { server: serverLines, client: Buffer.concat(blocks).toString('utf8') };
  });
}

describe('snapshot lines made from COPY text on the client', () => {
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  it('are the lines the server builds, for every type and awkward value, whatever the database output settings', async () => {
    const url = server.url(await server.createDatabase());
    await fill(url);
    const database = new URL(url).pathname.slice(1);
    // Settings that change how values print: the export pins its own (LINE_SETTINGS), so these must not show.
    await pgQuery(
      url,
      `ALTER DATABASE ${database} SET bytea_output = 'escape'; ALTER DATABASE ${database} SET DateStyle = 'SQL, DMY';
       ALTER DATABASE ${database} SET IntervalStyle = 'sql_standard'; ALTER DATABASE ${database} SET extra_float_digits = -3;
       ALTER DATABASE ${database} SET TimeZone = 'America/St_Johns'`,
    );
    const session = await openSession({ name: 'every', url, schema: 'public', migrations: '', baseline: null, allowOutOfOrder: false, lockTimeoutMs: 1000 });
    try {
      const { server: built, client } = await bothWays(session, 'every');
      assert.equal(built.split('\n').length - 1, TEXTS.length + 5);
      assert.equal(client, built);
      for (const line of client.trimEnd().split('\n')) JSON.parse(line);
      assert.match(client, /"\\u0001\\u0007\\b\\u000b\\f\\u000e\\u001f\u007f"/, 'control characters as to_json writes them');
      assert.match(
        client,
        /\[101,32767,2147483647,9223372036854775807,9\.0e\+999,-9\.0e\+999,9\.0e\+999,12345678\.1234,1,\{"\$base64":true,"encoded":"AP8KXCI="\}/,
      );
    } finally {
      await session.end();
    }
  });

  it('order a key in byte order, through its index when its collation already sorts that way and by COLLATE "C" when not', async () => {
    const url = server.url(await server.createDatabase());
    await pgQuery(
      url,
      `CREATE TABLE plain_key (k text PRIMARY KEY); CREATE TABLE icu_key (k text COLLATE "und-x-icu" PRIMARY KEY); CREATE TABLE c_key (k text COLLATE "C" PRIMARY KEY);
       INSERT INTO plain_key VALUES ('é'), ('f'), ('a'), ('B'), ('a b'), ('ab'), ('𝄞'), ('\uffff');
       INSERT INTO icu_key SELECT k FROM plain_key; INSERT INTO c_key SELECT k FROM plain_key;`,
    );
    const session = await openSession({ name: 'keys', url, schema: 'public', migrations: '', baseline: null, allowOutOfOrder: false, lockTimeoutMs: 1000 });
    try {
      const ordered = await byteOrderedColumns(session, 'public');
      assert.equal(ordered.get('icu_key')?.has('k') ?? false, false, 'a linguistic collation is not byte order');
      assert.equal(ordered.get('c_key')?.has('k'), true);
      const [{ datcollate }] = await pgQuery<{ datcollate: string }>(url, 'SELECT datcollate FROM pg_database WHERE datname = current_database()');
      if (/^(C|POSIX|C\.UTF-?8)$/i.test(datcollate)) assert.equal(ordered.get('plain_key')?.has('k'), true, `the database's ${datcollate} sorts as bytes`);
      const bytes = ['B', 'a', 'a b', 'ab', 'f', 'é', '\uffff', '𝄞'].map((k) => `${JSON.stringify([k])}\n`).join('');
      for (const table of ['plain_key', 'icu_key', 'c_key']) {
        const { server: built, client } = await bothWays(session, table);
        assert.equal(client, bytes, `${table} in byte order`);
        assert.equal(built, bytes);
      }
    } finally {
      await session.end();
    }
  });
});
