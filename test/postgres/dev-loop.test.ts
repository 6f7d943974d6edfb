// The developer loop on a PostgreSQL store, through the CLI: an edited
// applied file is refused with the ways out; `cairn redo` reverts it with the
// Down it was applied with (kept in the store's history schema) and applies it
// again; `migrate --accept-edit` records the edit, the old checksum kept.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliWith } from '../helpers.js';
import { mixedServerApp, pgQuery, startPostgres, type TestServer } from './server.js';

const T1 = '-- +goose Up\nCREATE TABLE t1 (id bigint PRIMARY KEY);\n-- +goose Down\nDROP TABLE t1;\n';
const T2 = '-- +goose Up\nCREATE TABLE t2 (id bigint PRIMARY KEY, name text);\n-- +goose Down\nDROP TABLE t2;\n';

let server: TestServer;

const tables = async (url: string): Promise<string[]> =>
  (await pgQuery<{ t: string }>(url, "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'store' AND tablename NOT LIKE 'cairn_%' ORDER BY 1")).map(
    (r) => r.t,
  );

describe('the developer loop on PostgreSQL', () => {
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  it('redo reverts an edited file with its applied Down; accept-edit records an edit and keeps the old checksum', async () => {
    const { dir, env, url } = await mixedServerApp(server, { state: {}, store: 'store', files: { '00001_first.sql': T1 } });
    const run = (...argv: string[]) => cliWith({ cwd: dir, env }, ...argv);
    const file = path.join(dir, 'migrations', 'store.pg', '00001_first.sql');
    fs.writeFileSync(file, T2);
    const refused = await run('migrate', '--store', 'store');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /cairn redo --store store/);

    const dry = await run('redo', '--store', 'store', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /down\s+00001_first\.sql\n\s+DROP TABLE t1;/);
    assert.deepEqual(await tables(url), ['t1']);
    const redo = await run('redo', '--store', 'store');
    assert.equal(redo.code, 0, redo.stderr);
    assert.deepEqual(await tables(url), ['t2']);
    assert.equal((await run('migrate')).code, 0);

    const [{ checksum: before }] = await pgQuery<{ checksum: string }>(url, 'SELECT checksum FROM store.cairn_migrations WHERE version = 1');
    fs.writeFileSync(file, `${T2}-- the same table\n`);
    assert.equal((await run('migrate', '--store', 'store')).code, 2);
    assert.equal((await run('migrate', '--store', 'store', '--accept-edit', '7')).code, 64);
    const accepted = await run('migrate', '--store', 'store', '--accept-edit', '1');
    assert.equal(accepted.code, 0, accepted.stderr);
    const kept = await pgQuery<{ version: string; applied_checksum: string }>(url, 'SELECT version, applied_checksum FROM store.cairn_accepted_edits');
    assert.deepEqual(
      kept.map((k) => [Number(k.version), k.applied_checksum]),
      [[1, before]],
    );
    assert.equal((await run('status', '--check')).code, 0);
    assert.deepEqual(await tables(url), ['t2']);
  });

  it("reads sqlx's up/down pairs as one migration: applied, reverted with --to by the down file", async () => {
    const files = {
      '1_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY);\n',
      '1_users.down.sql': 'DROP TABLE users;\n',
      '2_posts.up.sql': 'CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n',
      '2_posts.down.sql': 'DROP TABLE posts;\n',
    };
    const { dir, env, url } = await mixedServerApp(server, { state: {}, store: 'store', files });
    const run = (...argv: string[]) => cliWith({ cwd: dir, env }, ...argv);
    assert.deepEqual(await tables(url), ['posts', 'users']);
    const down = await run('migrate', '--store', 'store', '--to', '1');
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await tables(url), ['users']);
    fs.writeFileSync(path.join(dir, 'migrations', 'store.pg', '1_users.down.sql'), 'DROP TABLE users CASCADE;\n');
    assert.equal((await run('status', '--store', 'store')).code, 2, 'an edited down file is an edit');
  });

  it('--recover resume goes on from the failed statement of a NO TRANSACTION file, checking the ones that ran', async () => {
    const { dir, env, url } = await mixedServerApp(server, {
      state: {},
      store: 'store',
      files: { '00001_log.sql': 'CREATE TABLE log (step text NOT NULL);\n' },
    });
    const run = (...argv: string[]) => cliWith({ cwd: dir, env }, ...argv);
    const file = path.join(dir, 'migrations', 'store.pg', '00002_fill.sql');
    const text = (third: string) => `-- +goose NO TRANSACTION\n-- +goose Up\nINSERT INTO log VALUES ('a');\nINSERT INTO log VALUES ('b');\n${third}\n`;
    fs.writeFileSync(file, text("INSERT INTO nope VALUES ('c');"));
    assert.equal((await run('migrate', '--store', 'store')).code, 1);
    const steps = async () => (await pgQuery<{ step: string }>(url, 'SELECT step FROM store.log ORDER BY ctid')).map((r) => r.step);
    assert.deepEqual(await steps(), ['a', 'b']);
    const status = await run('status', '--store', 'store');
    assert.match(status.stdout, /failed at statement 3 \(NO TRANSACTION, partly applied: statements 1–2 ran\)/);
    fs.writeFileSync(file, text("INSERT INTO log VALUES ('c');").replace("('a')", "('A')"));
    const changed = await run('migrate', '--store', 'store', '--recover', 'resume');
    assert.equal(changed.code, 64);
    assert.match(changed.stderr, /the file's first 2 statements are not those any more/);
    fs.writeFileSync(file, text("INSERT INTO log VALUES ('c');"));
    const resumed = await run('migrate', '--store', 'store', '--recover', 'resume');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(await steps(), ['a', 'b', 'c']);
    assert.equal((await run('status', '--check')).code, 0);
  });

  it('refuses the untouched template, and new --ts, on a PostgreSQL store', async () => {
    const { dir, env } = await mixedServerApp(server, { state: {}, store: 'store', files: { '00001_first.sql': T1 } });
    const run = (...argv: string[]) => cliWith({ cwd: dir, env }, ...argv);
    const ts = await run('new', 'code', '--store', 'store', '--ts');
    assert.equal(ts.code, 64);
    assert.match(ts.stderr, /code migrations \(--ts\) run on SQLite stores only/);
    assert.equal((await run('new', 'next', '--store', 'store')).code, 0);
    const refused = await run('migrate', '--store', 'store');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /still the empty template/);
    const lint = JSON.parse((await run('lint', '--store', 'store', '--json')).stdout).stores[0];
    assert.deepEqual(
      lint.findings.map((f: { rule: string }) => f.rule),
      ['empty-migration'],
    );
  });
});
