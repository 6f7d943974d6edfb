// `cairn sql` on a PostgreSQL store, on a real server: the store's schema
// first on the search_path, a READ ONLY transaction unless --write, $1
// parameters bound, the server's refusals exit 64; psql launched with the
// password in its environment, never on its command line.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliWith, spawnCli, tempDir } from '../helpers.js';
import { mixedServerApp, pgQuery, startPostgres, type TestServer } from './server.js';

let server: TestServer;

const ITEMS =
  "CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL, seen timestamptz, n bigint);\nINSERT INTO items (name, seen, n) VALUES ('a', '2026-11-23T10:00:00Z', 9007199254740993), ('b', NULL, 2);\n";

describe('cairn sql on a PostgreSQL store', () => {
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  it('reads in the store schema with bound parameters; writes only with --write; refusals exit 64', async () => {
    const { dir, env, url } = await mixedServerApp(server, { state: {}, store: 'shop', files: { '00001_items.sql': ITEMS } });
    const run = (...argv: string[]) => cliWith({ cwd: dir, env }, 'sql', 'shop', ...argv);
    const table = await run('SELECT id, name, seen, n FROM items ORDER BY id');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^id \| name \| seen +\| n\n/);
    assert.match(table.stdout, /1 +\| a +\| 2026-11-23T10:00:00\.000Z \| 9007199254740993\n/);
    assert.match(table.stdout, /2 +\| b +\| NULL +\| 2\n\(2 rows\)\n$/);
    const json = JSON.parse((await run('SELECT name FROM items WHERE name = $1 OR id = $2', "a' OR 'x'='x", '2', '--json')).stdout);
    assert.deepEqual(json.rows, [['b']]);

    const refused = await run("INSERT INTO items (name) VALUES ('c')");
    assert.equal(refused.code, 64);
    assert.match(refused.stderr, /cannot execute INSERT in a read-only transaction.*only reads unless --write; nothing was changed/);
    const written = await run('INSERT INTO items (name) VALUES ($1), ($2)', 'c', 'd', '--write');
    assert.equal(written.code, 0, written.stderr);
    assert.equal(written.stdout, '2 rows changed\n');
    assert.deepEqual(await pgQuery(url, 'SELECT count(*)::int AS n FROM shop.items'), [{ n: 4 }]);

    for (const [sql, message] of [
      ['SELEC 1', /the server refused the statement: syntax error at or near "SELEC"/],
      ['SELECT * FROM nope', /relation "nope" does not exist/],
      ['SELECT 1; SELECT 2', /cannot insert multiple commands into a prepared statement/],
      ['SELECT * FROM items WHERE id = $1', /bind message supplies 0 parameters/],
    ] as const) {
      const r = await run(sql);
      assert.equal(r.code, 64, sql);
      assert.match(r.stderr, message);
    }
    const wrongType = await run('SELECT * FROM items WHERE id = $1', 'one');
    assert.equal(wrongType.code, 64);
    assert.match(wrongType.stderr, /invalid input syntax for type bigint: "one"/);
  });

  it('with no query opens psql on the store: schema first, read-only by default, the password only in its environment', async () => {
    const { dir, env } = await mixedServerApp(server, { state: {}, store: 'shop', files: { '00001_items.sql': ITEMS } });
    const bin = tempDir();
    const record = path.join(bin, 'seen.json');
    fs.writeFileSync(
      path.join(bin, 'psql'),
      `#!${process.execPath}\nconst e = process.env;\nrequire('fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify({ argv: process.argv.slice(2), user: e.PGUSER, password: e.PGPASSWORD, db: e.PGDATABASE, options: e.PGOPTIONS }));\n`,
      { mode: 0o755 },
    );
    const r = await spawnCli(dir, ['sql', 'shop'], { ...env, PATH: `${bin}:${process.env.PATH}` });
    assert.equal(r.code, 0, r.stderr);
    const seen = JSON.parse(fs.readFileSync(record, 'utf8'));
    assert.deepEqual(seen.argv, [], 'nothing on the command line, where ps shows it');
    assert.equal(seen.password, 'cairn-test-secret');
    assert.equal(seen.options, '-c search_path="shop",public -c default_transaction_read_only=on');
    await spawnCli(dir, ['sql', 'shop', '--write'], { ...env, PATH: `${bin}:${process.env.PATH}` });
    assert.equal(JSON.parse(fs.readFileSync(record, 'utf8')).options, '-c search_path="shop",public');
  });
});
