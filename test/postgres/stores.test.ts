// A PostgreSQL store declared in the config beside a SQLite one, through the
// library (openStores) and the CLI, on a real server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, openStores, type OpenStoresProgress } from '../../dist/index.js';
import { cliWith, scratchApp } from '../helpers.js';
import { pgQuery, startPostgres, type TestServer } from './server.js';

let server: TestServer;

/** An app with a SQLite store `state` and a PostgreSQL store `shared` whose URL comes from CAIRN_SHARED_URL. */
async function mixedApp(): Promise<{ dir: string; env: NodeJS.ProcessEnv; url: string }> {
  const { dir, config } = scratchApp({ state: { '00001_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n' } });
  const shared = path.join(dir, 'migrations', 'shared.pg');
  fs.mkdirSync(shared, { recursive: true });
  fs.writeFileSync(
    path.join(shared, '00001_teams.sql'),
    '-- +goose Up\nCREATE TABLE teams (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE);\n-- +goose Down\nDROP TABLE teams;\n',
  );
  fs.writeFileSync(
    path.join(shared, '00002_members.sql'),
    'CREATE TABLE members (team_id bigint NOT NULL REFERENCES teams (id), login text NOT NULL, PRIMARY KEY (team_id, login));\n',
  );
  const cfg = JSON.parse(fs.readFileSync(config, 'utf8'));
  cfg.stores.shared = { engine: 'postgres', url: '${CAIRN_SHARED_URL}', schema: 'shared', migrations: 'migrations/shared.pg' };
  fs.writeFileSync(config, JSON.stringify(cfg, null, 2));
  const url = server.url(await server.createDatabase());
  return { dir, env: { ...process.env, CAIRN_SHARED_URL: url }, url };
}

describe('a PostgreSQL store beside a SQLite one', () => {
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  it('openStores migrates both and hands back a pool whose search_path is the store schema', async () => {
    const { dir, env } = await mixedApp();
    const saved = process.env.CAIRN_SHARED_URL;
    process.env.CAIRN_SHARED_URL = env.CAIRN_SHARED_URL;
    try {
      const registry = await loadConfig({ cwd: dir, env });
      const events: OpenStoresProgress[] = [];
      const app = await openStores(registry, { onProgress: (e) => events.push(e) });
      try {
        assert.deepEqual(events[0], { kind: 'plan', stores: ['state', 'shared'], total: 3 });
        assert.equal(app.migrations.shared?.applied.length, 2);
        const pool = app.pool('shared');
        await pool.query("INSERT INTO teams (name) VALUES ('core')");
        const { rows } = await pool.query<{ name: string }>('SELECT name FROM shared.teams');
        assert.deepEqual(rows, [{ name: 'core' }]);
        app.db('state').prepare('INSERT INTO notes (body) VALUES (?)').run('x');
        assert.throws(() => app.pool('state'), /Unknown PostgreSQL store "state"/);
      } finally {
        await app.close();
      }
      const again = await openStores(registry);
      assert.equal(again.migrations.shared, null);
      assert.equal(again.migrations.state, null);
      await again.close();
    } finally {
      if (saved === undefined) delete process.env.CAIRN_SHARED_URL;
      else process.env.CAIRN_SHARED_URL = saved;
    }
  });

  it('a refusal on the server store changes neither store (all or nothing)', async () => {
    const { dir, env } = await mixedApp();
    process.env.CAIRN_SHARED_URL = env.CAIRN_SHARED_URL;
    try {
      const registry = await loadConfig({ cwd: dir, env });
      await (await openStores(registry)).close();
      fs.appendFileSync(path.join(dir, 'migrations', 'shared.pg', '00001_teams.sql'), '-- edited\n');
      fs.writeFileSync(path.join(dir, 'migrations', 'state', '00002_more.sql'), 'CREATE TABLE more (id INTEGER);\n');
      await assert.rejects(openStores(registry), (e: { code?: string }) => e.code === 'E_CHECKSUM_MISMATCH');
      const status = await cliWith({ cwd: dir, env }, 'status', '--store', 'state', '--json');
      assert.equal(JSON.parse(status.stdout).stores[0].pending.length, 1, 'the SQLite store was not migrated either');
    } finally {
      delete process.env.CAIRN_SHARED_URL;
    }
  });

  it('the CLI migrates and reports both engines; the password never appears in any output', async () => {
    const { dir, env, url } = await mixedApp();
    const password = new URL(url).password;
    const dry = await cliWith({ cwd: dir, env }, 'migrate', '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.stderr);
    const planned = JSON.parse(dry.stdout).stores as Array<{ store: string; planned: unknown[]; file: string }>;
    assert.deepEqual(
      planned.map((s) => [s.store, s.planned.length]),
      [
        ['state', 1],
        ['shared', 2],
      ],
    );
    const migrate = await cliWith({ cwd: dir, env }, 'migrate');
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.match(migrate.stdout, /shared: migrated none → 2/);
    const status = await cliWith({ cwd: dir, env }, 'status', '--json');
    assert.equal(status.code, 0, status.stderr);
    const shared = JSON.parse(status.stdout).stores.find((s: { store: string }) => s.store === 'shared');
    assert.equal(shared.current, 2);
    assert.equal(shared.exists, true);
    for (const out of [dry.stdout, dry.stderr, migrate.stdout, migrate.stderr, status.stdout, status.stderr])
      assert.ok(!out.includes(password), 'no output holds the password');

    const created = await cliWith({ cwd: dir, env }, 'new', 'add_roles', '--store', 'shared');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /shared\.pg\/00003_add_roles\.sql/);

    const lint = await cliWith({ cwd: dir, env }, 'lint', '--store', 'shared', '--json');
    assert.equal(lint.code, 0, lint.stderr);
    assert.deepEqual(JSON.parse(lint.stdout).stores[0].linted, [{ version: 3, name: '00003_add_roles.sql' }]);
    const adopt = await cliWith({ cwd: dir, env }, 'adopt', '--store', 'shared', '--from', 'goose');
    assert.equal(adopt.code, 2, 'a schema cairn already manages has nothing to adopt');
    assert.ok(!adopt.stderr.includes(password));
    const verify = await cliWith({ cwd: dir, env }, 'verify', '--json');
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const checks = JSON.parse(verify.stdout).checks;
    for (const id of ['state.integrity', 'shared.server']) assert.equal(checks[id]?.status, 'ok', `${id}: ${JSON.stringify(checks[id])}`);
    assert.equal(checks['shared.schema'].summary, '1 migration pending', 'the file `new` wrote above');
    assert.ok(!verify.stdout.includes(password), 'no output holds the password');
    const cutover = await cliWith({ cwd: dir, env }, 'cutover', '--store', 'shared');
    assert.equal(cutover.code, 64);
    assert.match(cutover.stderr, /stores\.shared is a PostgreSQL store; this works on SQLite stores only in this version/);
  });

  it('ctx.moveTable from a PostgreSQL store is refused by name, not as an unknown store', async () => {
    const { dir, env } = await mixedApp();
    assert.equal((await cliWith({ cwd: dir, env }, 'migrate')).code, 0);
    fs.writeFileSync(
      path.join(dir, 'migrations', 'state', '00002_take_teams.mjs'),
      "export const transaction = false;\nexport async function up(db, ctx) {\n  await ctx.moveTable({ from: 'shared', table: 'teams' });\n}\n",
    );
    const r = await cliWith({ cwd: dir, env }, 'migrate', '--store', 'state');
    assert.equal(r.code, 1, 'the migration fails and is undone');
    assert.match(r.stdout, /moveTable: stores\.shared is a PostgreSQL store; moveTable moves a table between SQLite stores/);
  });

  it('doctor checks a PostgreSQL store: server, schema against the files, the migration lock, long-open transactions', async () => {
    const { dir, env, url } = await mixedApp();
    assert.equal((await cliWith({ cwd: dir, env }, 'migrate')).code, 0);
    const clean = await cliWith({ cwd: dir, env }, 'doctor', '--json');
    assert.equal(clean.code, 0, clean.stderr + clean.stdout);
    const report = JSON.parse(clean.stdout);
    for (const id of ['shared.server', 'shared.schema', 'shared.lock', 'shared.transactions'])
      assert.equal(report.checks[id]?.status, 'ok', `${id}: ${JSON.stringify(report.checks[id])}`);
    assert.match(report.checks['shared.server'].summary, /^PostgreSQL \d+/);
    assert.ok(!clean.stdout.includes(new URL(url).password), 'the report does not hold the password');

    const { default: pg } = await import('pg');
    const holder = new pg.Client({ connectionString: url, application_name: 'stuck-migrator' });
    const idle = new pg.Client({ connectionString: url, application_name: 'forgetful-app' });
    await holder.connect();
    await idle.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(hashtextextended('cairn:migrate:shared', 0))");
      await idle.query('BEGIN');
      await idle.query('SELECT count(*) FROM shared.teams');
      const registry = await loadConfig({ cwd: dir, env });
      const { runDoctor } = await import('../../dist/doctor/run.js');
      const later = await runDoctor(registry, { env, now: Date.now() + 10 * 60_000, stores: ['shared'] });
      assert.equal(later.checks['shared.lock']?.status, 'warn');
      assert.match(later.checks['shared.lock']!.summary, /stuck-migrator/);
      assert.equal(later.checks['shared.transactions']?.status, 'warn');
      assert.match(later.checks['shared.transactions']!.summary, /forgetful-app, idle in transaction/);
    } finally {
      await holder.end();
      await idle.end();
    }

    fs.appendFileSync(path.join(dir, 'migrations', 'shared.pg', '00002_members.sql'), '-- edited\n');
    const edited = await cliWith({ cwd: dir, env }, 'doctor', '--json', '--store', 'shared');
    assert.equal(edited.code, 1);
    assert.match(JSON.parse(edited.stdout).checks['shared.schema'].summary, /edited since: 00002_members\.sql/);

    const down = await cliWith({ cwd: dir, env: { ...env, CAIRN_SHARED_URL: url.replace(/:\d+\//, ':1/') } }, 'doctor', '--json', '--store', 'shared');
    assert.equal(down.code, 1);
    const unreachable = JSON.parse(down.stdout).checks;
    assert.equal(unreachable['shared.server'].status, 'fail');
    assert.equal(unreachable['shared.schema'].status, 'idle');
  });

  it('an unset URL variable is a config error naming it, for the commands that use that store only', async () => {
    const { dir } = await mixedApp();
    const env = { ...process.env };
    delete env.CAIRN_SHARED_URL;
    const status = await cliWith({ cwd: dir, env }, 'status', '--json');
    assert.equal(status.code, 64);
    const shared = JSON.parse(status.stdout).stores.find((s: { store: string }) => s.store === 'shared');
    assert.equal(shared.error.code, 'E_CONFIG');
    assert.match(shared.error.message, /CAIRN_SHARED_URL is not set/);
    const sqliteOnly = await cliWith({ cwd: dir, env }, 'migrate', '--store', 'state');
    assert.equal(sqliteOnly.code, 0, sqliteOnly.stderr);
  });

  it("a user without the privilege to make the store's schema is E_PERMISSION naming the store and what to grant, not a raw server error", async () => {
    const { dir, env, url } = await mixedApp();
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const role = `limited_${process.pid}`;
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'limited-pw'`);
    await admin.end();
    const limited = { ...env, CAIRN_SHARED_URL: url.replace(/\/\/postgres:[^@]+@/, `//${role}:limited-pw@`) };
    const migrate = await cliWith({ cwd: dir, env: limited }, 'migrate', '--store', 'shared');
    assert.equal(migrate.code, 2, migrate.stderr);
    assert.match(migrate.stderr, /shared: PostgreSQL refused: permission denied for database .*needs CREATE on the database/);
    assert.doesNotMatch(migrate.stderr, /at .*node_modules/, 'no stack trace');
    const status = await cliWith({ cwd: dir, env: limited }, 'migrate', '--store', 'shared', '--json');
    assert.equal(JSON.parse(status.stdout).error.code, 'E_PERMISSION');
  });

  it('a user given a schema an owner made (no CREATE on the database) migrates it, as the refusal above advises', async () => {
    const { dir, env, url } = await mixedApp();
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const role = `schema_user_${process.pid}`;
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'schema-pw'`);
    await admin.query(`CREATE SCHEMA shared AUTHORIZATION ${role}`);
    await admin.end();
    const limited = { ...env, CAIRN_SHARED_URL: url.replace(/\/\/postgres:[^@]+@/, `//${role}:schema-pw@`) };
    // A dry run and the lint judge the files in that schema, in a rolled-back transaction: no scratch schema to create.
    const dry = await cliWith({ cwd: dir, env: limited }, 'migrate', '--store', 'shared', '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.stderr);
    const lint = await cliWith({ cwd: dir, env: limited }, 'lint', '--store', 'shared', '--json');
    assert.equal(lint.code, 0, lint.stderr);
    assert.equal(JSON.parse(lint.stdout).stores[0].linted.length, 2);
    assert.deepEqual(
      await pgQuery(url, "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'shared'::regnamespace"),
      [{ n: 0 }],
      'the lint left nothing',
    );
    const first = await cliWith({ cwd: dir, env: limited }, 'migrate', '--store', 'shared');
    assert.equal(first.code, 0, first.stderr);
    const again = await cliWith({ cwd: dir, env: limited }, 'migrate', '--store', 'shared');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await pgQuery(url, 'SELECT count(*)::int AS n FROM shared.cairn_migrations'), [{ n: 2 }]);
  });

  it('config mistakes on a PostgreSQL store name the key', async () => {
    const { dir, config } = scratchApp({});
    fs.writeFileSync(
      config,
      JSON.stringify({ stores: { shared: { engine: 'postgres', url: 'postgres://x@y/z', schema: 'pg_catalog', migrations: false, pragmas: {} } } }),
    );
    const r = await cliWith({ cwd: dir, env: process.env }, 'status');
    assert.equal(r.code, 64);
    assert.match(r.stderr, /stores\.shared\.schema: pg_\* and information_schema belong to PostgreSQL/);
    assert.match(r.stderr, /stores\.shared: Unrecognized key: "pragmas"/);
  });
});
