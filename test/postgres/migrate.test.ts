// The migration engine on a real PostgreSQL server: the SQLite engine's
// guarantees (one planner decides for both), each file in one transaction,
// NO TRANSACTION files that say what ran, the advisory lock under 8
// concurrent first starts and a SIGKILLed holder.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migratePostgres } from '../../dist/postgres/migrate.js';
import { postgresStatus } from '../../dist/postgres/status.js';
import { pgQuery, pgStore, startPostgres, type TestServer } from './server.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrate-child.js');

let server: TestServer;

const app = (files: Record<string, string>) => pgStore(server, files);
const sql = pgQuery;

const USERS = '-- +goose Up\nCREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n\n-- +goose Down\nDROP TABLE users;\n';
const FUNC = `CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.email := lower(NEW.email);
  RETURN NEW;
END;
$$;
CREATE TRIGGER users_touch BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION touch();
`;

describe('migrations on PostgreSQL', () => {
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  it('applies each file once into the store schema, with its history; a second run does nothing', async () => {
    const { target, url } = await app({ '00001_users.sql': USERS, '00002_touch.sql': FUNC });
    const first = await migratePostgres(target);
    assert.equal(first.failed, null);
    assert.deepEqual(
      first.applied.map((s) => s.version),
      [1, 2],
    );
    await sql(url, "INSERT INTO shared.users VALUES (1, 'A@Example.COM')");
    assert.deepEqual(await sql(url, 'SELECT email FROM shared.users'), [{ email: 'a@example.com' }]);
    const history = await sql<{ version: string; kind: string }>(url, 'SELECT version, kind FROM shared.cairn_migrations ORDER BY version');
    assert.deepEqual(
      history.map((h) => [Number(h.version), h.kind]),
      [
        [1, 'migration'],
        [2, 'migration'],
      ],
    );
    const again = await migratePostgres(target);
    assert.deepEqual(again.applied, []);
    const status = await postgresStatus(target);
    assert.equal(status.error, null);
    assert.equal(status.current, 2);
    assert.deepEqual(status.pending, []);
    assert.equal(status.refusal, null);
  });

  it('a dry run shows the exact statements and creates nothing, not even the schema', async () => {
    const { target, url } = await app({ '00001_users.sql': USERS, '00002_touch.sql': FUNC });
    const plan = await migratePostgres(target, { dryRun: true });
    assert.equal(plan.planned.length, 2);
    assert.match(plan.planned[1]!.statements[0]!, /^CREATE FUNCTION touch\(\)[\s\S]*\$\$;$/);
    assert.deepEqual(await sql(url, "SELECT nspname FROM pg_namespace WHERE nspname = 'shared'"), []);
    const status = await postgresStatus(target);
    assert.equal(status.exists, false);
    assert.equal(status.pending.length, 2);
  });

  it('a failing statement rolls its whole file back, names file, line and statement, and keeps what came before', async () => {
    const { target, url } = await app({
      '00001_users.sql': USERS,
      '00002_bad.sql': 'CREATE TABLE audit (id int);\nINSERT INTO no_such_table VALUES (1);\n',
    });
    // A fresh store is not linted by migrate (lint.test.ts covers a store with data): the run itself meets the failure.
    const result = await migratePostgres(target);
    assert.deepEqual(
      result.applied.map((s) => s.version),
      [1],
    );
    assert.equal(result.failed?.version, 2);
    assert.equal(result.failed?.statement, 2);
    assert.match(result.failed!.message, /00002_bad\.sql:2: statement 2: relation "no_such_table" does not exist/);
    assert.deepEqual(await sql(url, "SELECT to_regclass('shared.audit') AS t"), [{ t: null }]);
    assert.equal((await postgresStatus(target)).current, 1);
  });

  it('refuses an edited applied file, a newer database and an out-of-order file before writing anything', async () => {
    const { target, dir, url } = await app({ '00001_users.sql': USERS, '00003_posts.sql': 'CREATE TABLE posts (id int);\n' });
    await migratePostgres(target);
    fs.appendFileSync(path.join(dir, '00001_users.sql'), '-- an edit\n');
    fs.writeFileSync(path.join(dir, '00004_more.sql'), 'CREATE TABLE more (id int);\n');
    await assert.rejects(
      migratePostgres(target),
      (e: { code?: string; message: string }) => e.code === 'E_CHECKSUM_MISMATCH' && /00001_users\.sql/.test(e.message),
    );
    assert.deepEqual(await sql(url, "SELECT to_regclass('shared.more') AS t"), [{ t: null }]);
    assert.equal((await postgresStatus(target)).refusal?.code, 'E_CHECKSUM_MISMATCH');

    fs.writeFileSync(path.join(dir, '00001_users.sql'), USERS);
    fs.writeFileSync(path.join(dir, '00002_early.sql'), 'CREATE TABLE early (id int);\n');
    await assert.rejects(migratePostgres(target), (e: { code?: string }) => e.code === 'E_OUT_OF_ORDER');
    fs.rmSync(path.join(dir, '00002_early.sql'));

    await sql(url, "INSERT INTO shared.cairn_migrations (version, name, checksum, additive) VALUES (99, '00099_future.sql', 'x', false)");
    await assert.rejects(migratePostgres(target), (e: { code?: string; message: string }) => e.code === 'E_NEWER_THAN_APP' && /99/.test(e.message));
    assert.deepEqual(await sql(url, "SELECT to_regclass('shared.more') AS t"), [{ t: null }]);
  });

  it('goes down and up again with --to', async () => {
    const { target, url } = await app({
      '00001_users.sql': USERS,
      '00002_orders.sql': '-- +goose Up\nCREATE TABLE orders (id int);\n-- +goose Down\nDROP TABLE orders;\n',
    });
    await migratePostgres(target);
    const down = await migratePostgres(target, { to: 1 });
    assert.deepEqual(
      down.applied.map((s) => [s.kind, s.version]),
      [['down', 2]],
    );
    assert.deepEqual(await sql(url, "SELECT to_regclass('shared.orders') AS t"), [{ t: null }]);
    assert.deepEqual((await postgresStatus(target)).pending, [{ version: 2, name: '00002_orders.sql' }]);
    const up = await migratePostgres(target);
    assert.deepEqual(
      up.applied.map((s) => [s.kind, s.version]),
      [['up', 2]],
    );
  });

  it('runs a NO TRANSACTION file outside a transaction; a failure says which statements ran, and later runs refuse until --recover rerun', async () => {
    const { target, dir, url } = await app({
      '00001_users.sql': USERS,
      '00002_index.sql':
        '-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY users_email ON users (email);\nCREATE INDEX CONCURRENTLY users_bad ON users (no_such_column);\n',
    });
    const result = await migratePostgres(target);
    assert.equal(result.failed?.version, 2);
    assert.equal(result.failed?.partlyApplied, true);
    assert.match(result.failed!.message, /statements 1–1 ran and stay/);
    assert.deepEqual(await sql(url, "SELECT to_regclass('shared.users_email') IS NOT NULL AS t"), [{ t: true }]);

    await assert.rejects(
      migratePostgres(target),
      (e: { code?: string; message: string }) => e.code === 'E_INTERRUPTED' && /failed at statement 2/.test(e.message),
    );
    assert.equal((await postgresStatus(target)).refusal?.code, 'E_INTERRUPTED');
    await assert.rejects(migratePostgres(target, { recover: 'restore' }), (e: { code?: string }) => e.code === 'E_USAGE');
    // A rerun the lint refuses (a later file that fails) leaves the store refused as it was.
    fs.writeFileSync(path.join(dir, '00003_bad.sql'), 'ALTER TABLE no_such_table ADD COLUMN x int;\n');
    await assert.rejects(migratePostgres(target, { recover: 'rerun' }), (e: { code?: string }) => e.code === 'E_LINT');
    assert.notEqual((await postgresStatus(target)).interrupted, null);
    fs.rmSync(path.join(dir, '00003_bad.sql'));

    fs.writeFileSync(
      path.join(dir, '00002_index.sql'),
      '-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_id ON users (id, email);\n',
    );
    const rerun = await migratePostgres(target, { recover: 'rerun' });
    assert.equal(rerun.failed, null);
    assert.deepEqual(
      rerun.applied.map((s) => s.version),
      [2],
    );
    const status = await postgresStatus(target);
    assert.equal(status.interrupted, null);
    assert.equal(status.refusal, null);
  });

  it('while one session runs a NO TRANSACTION file, a dry run and a status elsewhere see it running, not interrupted', async () => {
    const { target } = await pgStore(server, {
      '00001_users.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n',
      '00002_slow.sql': '-- +goose NO TRANSACTION\n-- +goose Up\nSELECT pg_sleep(1.5);\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n',
    });
    await migratePostgres(target, { to: 1 });
    const running = migratePostgres(target);
    const deadline = Date.now() + 10_000;
    const marked = async () =>
      (await pgQuery<{ n: number }>(target.url, "SELECT count(*)::int AS n FROM shared.cairn_meta WHERE key = 'interrupted'"))[0]!.n === 1;
    while (!(await marked()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(await marked(), 'the running file left its marker');
    const dry = await migratePostgres(target, { dryRun: true });
    assert.deepEqual(
      dry.planned.map((p) => p.version),
      [2],
    );
    const status = await postgresStatus(target);
    assert.equal(status.interrupted, null);
    assert.equal(status.refusal, null);
    assert.equal((await running).applied.length, 1);
  });

  it("runs a NO TRANSACTION file's Down outside a transaction too (DROP INDEX CONCURRENTLY)", async () => {
    const { target, url } = await app({
      '00001_users.sql': USERS,
      '00002_index.sql':
        '-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n-- +goose Down\nDROP INDEX CONCURRENTLY users_email;\n',
    });
    await migratePostgres(target);
    const down = await migratePostgres(target, { to: 1 });
    assert.equal(down.failed, null, down.failed?.message);
    assert.deepEqual(await sql(url, "SELECT to_regclass('shared.users_email') AS t"), [{ t: null }]);
    assert.equal((await postgresStatus(target)).current, 1);
  });

  it('with history "goose", keeps goose_db_version in the schema in step, as goose v3 writes it; switched on later, it catches up', async () => {
    const { target, url } = await app({
      '00001_users.sql': USERS,
      '00002_orders.sql': '-- +goose Up\nCREATE TABLE orders (id int);\n-- +goose Down\nDROP TABLE orders;\n',
    });
    await migratePostgres({ ...target, history: 'cairn' }, { to: 1 });
    assert.deepEqual(await sql(url, "SELECT to_regclass('shared.goose_db_version') AS t"), [{ t: null }]);
    const goose = { ...target, history: 'goose' as const };
    await migratePostgres(goose);
    const versions = async () =>
      (await sql<{ v: string }>(url, 'SELECT version_id AS v FROM shared.goose_db_version WHERE is_applied ORDER BY id')).map((r) => Number(r.v));
    assert.deepEqual(await versions(), [0, 1, 2], 'version 0 at creation, 1 caught up, 2 applied');
    // What goose itself reads as the current version:
    assert.deepEqual(await sql(url, 'SELECT max(version_id)::int AS v FROM shared.goose_db_version'), [{ v: 2 }]);
    await migratePostgres(goose, { to: 1 });
    assert.deepEqual(await versions(), [0, 1]);
    await migratePostgres(goose);
    assert.deepEqual(await versions(), [0, 1, 2]);
  });

  it('refuses SQLite-only files by name: a +cairn rebuild block, a TS/JS migration', async () => {
    const rebuild = await app({ '00001_r.sql': '-- +cairn rebuild users\nCREATE TABLE users (id int);\n-- +cairn end\n' });
    await assert.rejects(
      migratePostgres(rebuild.target),
      (e: { code?: string; message: string }) => e.code === 'E_MIGRATION_PARSE' && /00001_r\.sql:1:.*ALTER TABLE/.test(e.message),
    );
    const code = await app({ '00001_code.mjs': 'export function up() {}\n' });
    await assert.rejects(
      migratePostgres(code.target),
      (e: { code?: string; message: string }) => e.code === 'E_MIGRATION_SOURCE' && /00001_code\.mjs/.test(e.message),
    );
  });

  it('never prints the password: a refused connection names the server with the password masked', async () => {
    const { target } = await app({ '00001_users.sql': USERS });
    const wrong = { ...target, url: target.url.replace('cairn-test-secret', 'not-the-s3cret') };
    await assert.rejects(migratePostgres(wrong), (e: { code?: string; message: string }) => {
      assert.equal(e.code, 'E_CONFIG');
      assert.doesNotMatch(e.message, /s3cret/);
      assert.match(e.message, /postgres:\*\*\*@127\.0\.0\.1/);
      return true;
    });
    const status = await postgresStatus(wrong);
    assert.doesNotMatch(JSON.stringify(status), /s3cret/);
    assert.equal(status.error?.code, 'E_CONFIG');
  });

  for (const count of [8, 32]) {
    it(`${count} processes starting at once on a fresh server apply every file exactly once, without an error`, async () => {
      const files: Record<string, string> = { '00001_log.sql': 'CREATE TABLE runs (file int NOT NULL);\nINSERT INTO runs VALUES (1);\n' };
      for (let v = 2; v <= 6; v++) files[`0000${v}_step.sql`] = `CREATE TABLE t${v} (id int);\nINSERT INTO runs VALUES (${v});\n`;
      const { dir, url } = await app(files);
      const children = Array.from(
        { length: 8 },
        () =>
          new Promise<{ code: number | null; out: string }>((resolve) => {
            const child = spawn(process.execPath, [CHILD, url, 'shared', dir, '60000'], { stdio: ['ignore', 'pipe', 'pipe'] });
            let out = '';
            child.stdout.on('data', (d) => (out += d));
            child.on('close', (code) => resolve({ code, out }));
          }),
      );
      const results = await Promise.all(children);
      for (const r of results) assert.equal(r.code, 0, r.out);
      const applied = results.flatMap((r) => (JSON.parse(r.out) as { applied: number[] }).applied).sort();
      assert.deepEqual(applied, [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(
        (await sql<{ file: number }>(url, 'SELECT file FROM shared.runs ORDER BY file')).map((r) => r.file),
        [1, 2, 3, 4, 5, 6],
      );
    });
  }

  it('a migrator killed with SIGKILL while holding the lock leaves nothing behind: the next one proceeds once the server ends the session', async () => {
    const { dir, url, target } = await app({
      '00001_slow.sql': 'CREATE TABLE slow (id int);\nSELECT pg_sleep(30);\n',
    });
    const child = spawn(process.execPath, [CHILD, url, 'shared', dir, '60000'], { stdio: 'ignore' });
    // Wait until it holds the advisory lock and sleeps inside the file's transaction.
    for (let i = 0; i < 200; i++) {
      const rows = await sql(url, "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'");
      if (rows.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const started = Date.now();
    fs.writeFileSync(path.join(dir, '00001_slow.sql'), 'CREATE TABLE slow (id int);\n');
    // The edited text never ran (the killed transaction rolled back), so nothing is recorded and the file simply applies.
    const result = await migratePostgres({ ...target, lockTimeoutMs: 20_000 });
    assert.equal(result.failed, null);
    assert.deepEqual(
      result.applied.map((s) => s.version),
      [1],
    );
    assert.ok(Date.now() - started < 15_000, `waited ${Date.now() - started} ms`);
  });

  it('a lock held past lockTimeoutMs is E_LOCKED naming the holder', async () => {
    const { target, url } = await app({ '00001_users.sql': USERS });
    const holder = new pg.Client({ connectionString: url, application_name: 'the-holder' });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(hashtextextended('cairn:migrate:shared', 0))");
      await assert.rejects(
        migratePostgres({ ...target, lockTimeoutMs: 300 }),
        (e: { code?: string; message: string }) => e.code === 'E_LOCKED' && /the-holder/.test(e.message),
      );
    } finally {
      await holder.end();
    }
    assert.equal((await migratePostgres(target)).failed, null);
  });
});
