// `cairn baseline` on a PostgreSQL store, on a real server: the file re-creates
// the schema (checked against the catalogs before it is written), a fresh
// store starts from it, and what it cannot write refuses it by name.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { describeSchema } from '../../dist/postgres/schema-describe.js';
import { cliWith, scratchApp } from '../helpers.js';
import { pgQuery, startPostgres, type TestServer } from './server.js';

let server: TestServer;

// A schema with one of nearly everything an app's migrations make, names that need quoting included.
const FILES = {
  '00001_types.sql': `CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN email AS text COLLATE "C" CHECK (VALUE LIKE '%@%');
CREATE SEQUENCE ticket_no AS integer START WITH 100 INCREMENT BY 5 CACHE 1;
`,
  '00002_tables.sql': `-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE FUNCTION next_ticket() RETURNS integer LANGUAGE sql AS $$ SELECT nextval('ticket_no')::integer $$;
CREATE TABLE teams (id serial PRIMARY KEY, name text NOT NULL UNIQUE, mood mood NOT NULL DEFAULT 'ok');
CREATE TABLE "Team Members" (
  id bigint GENERATED ALWAYS AS IDENTITY (START WITH 10) PRIMARY KEY,
  team_id integer NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  login email NOT NULL,
  ticket integer NOT NULL DEFAULT next_ticket(),
  score numeric(10, 2) CHECK (score >= 0),
  login_upper text GENERATED ALWAYS AS (upper(login)) STORED,
  updated_at timestamptz,
  CONSTRAINT one_login_per_team UNIQUE (team_id, login)
);
CREATE INDEX members_recent ON "Team Members" (updated_at DESC) WHERE updated_at IS NOT NULL;
CREATE INDEX members_lower ON "Team Members" (lower(login::text));
CREATE TRIGGER members_touch BEFORE UPDATE ON "Team Members" FOR EACH ROW EXECUTE FUNCTION touch();
CREATE UNLOGGED TABLE scratch_pad (k text PRIMARY KEY, v jsonb) WITH (fillfactor = 70);
COMMENT ON TABLE teams IS 'who''s who';
COMMENT ON COLUMN "Team Members".login IS 'the member''s address';
-- +goose Down
DROP TABLE scratch_pad, "Team Members", teams;
DROP FUNCTION next_ticket(), touch();
`,
  '00003_views.sql': `CREATE VIEW team_sizes AS SELECT t.id, t.name, count(m.id) AS members FROM teams t LEFT JOIN "Team Members" m ON m.team_id = t.id GROUP BY t.id, t.name;
CREATE VIEW big_teams AS SELECT * FROM team_sizes WHERE members > 10 WITH LOCAL CHECK OPTION;
CREATE MATERIALIZED VIEW mood_counts AS SELECT mood, count(*) AS n FROM teams GROUP BY mood;
CREATE UNIQUE INDEX mood_counts_mood ON mood_counts (mood);
`,
};

async function app(schema = 'app-data'): Promise<{ dir: string; env: NodeJS.ProcessEnv; url: string; config: string }> {
  const { dir, config } = scratchApp({});
  const migrations = path.join(dir, 'migrations', 'shared.pg');
  fs.mkdirSync(migrations, { recursive: true });
  for (const [name, text] of Object.entries(FILES)) fs.writeFileSync(path.join(migrations, name), text);
  fs.writeFileSync(config, JSON.stringify({ stores: { shared: { engine: 'postgres', url: '${SHARED_URL}', schema, migrations: 'migrations/shared.pg' } } }));
  const url = server.url(await server.createDatabase());
  return { dir, env: { ...process.env, SHARED_URL: url }, url, config };
}

const run = (a: { dir: string; env: NodeJS.ProcessEnv }, ...argv: string[]) => cliWith({ cwd: a.dir, env: a.env }, ...argv);

async function described(url: string, schema: string): Promise<Set<string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT set_config($1, $2, false)', ['search_path', `"${schema}"`]);
    const session = { pid: 0, query: async (sql: string, params?: unknown[]) => (await client.query(sql, params)).rows, end: async () => {} };
    return await describeSchema(session as never, schema);
  } finally {
    await client.end();
  }
}

describe('cairn baseline on a PostgreSQL store', () => {
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  it('writes a file that re-creates the schema; a fresh store starts from it and behaves the same', async () => {
    const first = await app();
    assert.equal((await run(first, 'migrate')).code, 0);
    const baseline = await run(first, 'baseline', '--store', 'shared', '--json');
    assert.equal(baseline.code, 0, baseline.stderr);
    const result = JSON.parse(baseline.stdout);
    assert.equal(result.version, 3);
    assert.equal(result.engine, 'postgres');
    assert.deepEqual(result.covers, ['00001_types.sql', '00002_tables.sql', '00003_views.sql']);
    assert.deepEqual(result.config, { file: 'migrations/shared.pg.baseline.sql', version: 3 });
    const text = fs.readFileSync(path.join(first.dir, result.config.file), 'utf8');
    assert.doesNotMatch(text, /app-data/, 'no statement names the schema: it lands wherever the store points');
    assert.ok(!baseline.stdout.includes(new URL(first.url).password));

    // A second app on another database and another schema, its files squashed into the baseline.
    const second = await app('fresh');
    fs.copyFileSync(path.join(first.dir, result.config.file), path.join(second.dir, 'base.sql'));
    const cfg = JSON.parse(fs.readFileSync(second.config, 'utf8'));
    cfg.stores.shared.baseline = { file: 'base.sql', version: 3 };
    fs.writeFileSync(second.config, JSON.stringify(cfg));
    fs.writeFileSync(path.join(second.dir, 'migrations', 'shared.pg', '00004_more.sql'), 'CREATE TABLE more (id integer PRIMARY KEY);\n');
    const migrated = await run(second, 'migrate', '--json');
    assert.equal(migrated.code, 0, migrated.stderr);
    const history = await pgQuery<{ version: string; kind: string }>(second.url, 'SELECT version, kind FROM fresh.cairn_migrations ORDER BY version');
    assert.deepEqual(history, [
      { version: '3', kind: 'baseline' },
      { version: '4', kind: 'migration' },
    ]);
    await pgQuery(second.url, 'DROP TABLE fresh.more');
    assert.deepEqual([...(await described(second.url, 'fresh'))].sort(), [...(await described(first.url, 'app-data'))].sort());

    // Defaults, identity, generated column, trigger and the domain's check all work in the new store.
    await pgQuery(
      second.url,
      `SET search_path = fresh; INSERT INTO teams (name) VALUES ('core'); INSERT INTO "Team Members" (team_id, login) VALUES (1, 'a@x')`,
    );
    const [member] = await pgQuery<{ id: string; ticket: number; login_upper: string }>(second.url, 'SELECT id, ticket, login_upper FROM fresh."Team Members"');
    assert.deepEqual(member, { id: '10', ticket: 100, login_upper: 'A@X' });
    await assert.rejects(pgQuery(second.url, `SET search_path = fresh; INSERT INTO "Team Members" (team_id, login) VALUES (1, 'no-at')`), /email_check/);
  });

  it('refuses, naming them, what it cannot write: a row-level policy, a rule', async () => {
    const a = await app();
    fs.writeFileSync(
      path.join(a.dir, 'migrations', 'shared.pg', '00004_policy.sql'),
      `ALTER TABLE teams ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_team ON teams USING (name = current_user);
CREATE RULE no_delete AS ON DELETE TO scratch_pad DO INSTEAD NOTHING;
`,
    );
    assert.equal((await run(a, 'migrate')).code, 0);
    const refused = await run(a, 'baseline', '--store', 'shared');
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /would not re-create the schema exactly \(missing: .*policy own_team teams/s);
    assert.match(refused.stderr, /rule no_delete scratch_pad/);
    assert.equal(fs.existsSync(path.join(a.dir, 'migrations', 'shared.pg.baseline.sql')), false, 'nothing was written');
  });

  it('a column dropped and added again (a gap in the column numbers) still re-creates exactly', async () => {
    const a = await app();
    fs.writeFileSync(
      path.join(a.dir, 'migrations', 'shared.pg', '00004_rework.sql'),
      'ALTER TABLE scratch_pad DROP COLUMN v;\nALTER TABLE scratch_pad ADD COLUMN v jsonb;\nALTER TABLE scratch_pad ADD COLUMN w text;\n',
    );
    const migrated = await run(a, 'migrate');
    assert.equal(migrated.code, 0, migrated.stderr);
    const baseline = await run(a, 'baseline', '--store', 'shared', '--dry-run');
    assert.equal(baseline.code, 0, baseline.stderr);
    assert.match(baseline.stdout, /CREATE UNLOGGED TABLE "scratch_pad" \(\n {2}k text NOT NULL,\n {2}v jsonb,\n {2}w text\n\)/);
  });

  it('refuses a store with pending files, or no history, and an existing file without --force', async () => {
    const a = await app();
    const none = await run(a, 'baseline', '--store', 'shared');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /has no cairn history/);
    assert.equal((await run(a, 'migrate', '--to', '2')).code, 0);
    const pending = await run(a, 'baseline', '--store', 'shared');
    assert.equal(pending.code, 2);
    assert.match(pending.stderr, /has pending migrations \(00003_views\.sql\)/);
    assert.equal((await run(a, 'migrate')).code, 0);
    assert.equal((await run(a, 'baseline', '--store', 'shared')).code, 0);
    const again = await run(a, 'baseline', '--store', 'shared');
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already exists; pass --force/);
    assert.equal((await run(a, 'baseline', '--store', 'shared', '--force')).code, 0);
    const dry = await run(a, 'baseline', '--store', 'shared', '--dry-run');
    assert.match(dry.stdout, /^-- cairn baseline of store shared at version 3/);
  });
});
