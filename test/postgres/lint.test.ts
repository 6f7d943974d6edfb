// Lint on a PostgreSQL store: pending files judged against the server's real
// schema in a transaction that is always rolled back; migrate refuses what
// the lint says fails, before anything is written.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { migratePostgres } from '../../dist/postgres/migrate.js';
import { lintPostgresStore } from '../../dist/postgres/lint-store.js';
import { pgQuery, pgStore, startPostgres, type TestServer } from './server.js';

let server: TestServer;

const app = (files: Record<string, string>) => pgStore(server, files);

async function objects(url: string): Promise<string[]> {
  const rows = await pgQuery<{ relname: string }>(
    url,
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'shared' AND c.relkind = 'r' ORDER BY 1",
  );
  return rows.map((r) => r.relname);
}

describe('lint on PostgreSQL', () => {
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  it('finds the statement that fails against the schema the earlier files build, changes nothing, and migrate refuses it', async () => {
    const { target, dir, url } = await app({ '00001_users.sql': 'CREATE TABLE users (id bigint PRIMARY KEY);\n' });
    await migratePostgres(target);
    fs.writeFileSync(path.join(dir, '00002_posts.sql'), 'CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n');
    fs.writeFileSync(path.join(dir, '00003_bad.sql'), 'CREATE INDEX posts_user ON posts (user_id);\n\nALTER TABLE comments ADD COLUMN body text;\n');
    const report = await lintPostgresStore(target);
    assert.deepEqual(
      report.linted.map((l) => l.version),
      [2, 3],
    );
    assert.equal(report.errors, 1);
    const [finding] = report.findings;
    assert.equal(finding?.rule, 'statement-fails');
    assert.equal(finding?.line, 3);
    assert.match(finding!.file, /00003_bad\.sql$/);
    assert.match(finding!.message, /relation "comments" does not exist/);
    assert.deepEqual(
      await objects(url),
      ['cairn_accepted_edits', 'cairn_meta', 'cairn_migration_sources', 'cairn_migrations', 'users'],
      'the lint left nothing behind',
    );

    await assert.rejects(migratePostgres(target), (e: { code?: string; message: string }) => e.code === 'E_LINT' && /00003_bad\.sql:3/.test(e.message));
    assert.deepEqual(
      await objects(url),
      ['cairn_accepted_edits', 'cairn_meta', 'cairn_migration_sources', 'cairn_migrations', 'users'],
      'migrate refused before the good file 2 ran',
    );
    const forced = await migratePostgres(target, { force: true });
    assert.deepEqual(
      forced.applied.map((s) => s.version),
      [2],
    );
    assert.equal(forced.failed?.version, 3);
  });

  it('prepares data statements instead of running them, and says what it could not run', async () => {
    const { target } = await app({
      '00001_log.sql': 'CREATE TABLE log (at timestamptz);\nINSERT INTO log SELECT now() FROM pg_sleep(5);\n',
      '00002_index.sql': '-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY log_at ON log (at);\n',
      '00003_typo.sql': 'INSERT INTO log (att) VALUES (now());\n',
    });
    const started = Date.now();
    const report = await lintPostgresStore(target);
    assert.ok(Date.now() - started < 4000, 'the pg_sleep(5) inside an INSERT … SELECT was not run');
    assert.deepEqual(
      report.findings.map((f) => [f.rule, f.severity, f.version]),
      [
        ['not-executed', 'warning', 2],
        ['statement-fails', 'error', 3],
      ],
    );
    assert.match(report.findings[1]!.message, /column "att" of relation "log" does not exist/);
  });

  it('--all judges every file from an empty schema, and leaves no scratch schema behind', async () => {
    const { target, url } = await app({ '00001_a.sql': 'CREATE TABLE a (id int);\n', '00002_b.sql': 'CREATE VIEW b AS SELECT id FROM a;\n' });
    await migratePostgres(target);
    const report = await lintPostgresStore(target, { all: true });
    assert.equal(report.errors, 0);
    assert.equal(report.linted.length, 2);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'cairn_lint_%'");
    await client.end();
    assert.deepEqual(rows, []);
  });
});
