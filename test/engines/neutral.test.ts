// The migration engine's behaviours, one table of cases run through the CLI
// against both engines: a SQLite file and a PostgreSQL schema on a real
// server. Each case gets a fresh app (and a fresh database on the server).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliWith, tempDir, type CliResult } from '../helpers.js';
import { startPostgres, type TestServer } from '../postgres/server.js';

type Engine = 'sqlite' | 'postgres';

interface App {
  dir: string;
  cairn(...argv: string[]): Promise<CliResult>;
  write(name: string, text: string): void;
  status(): Promise<{ current: number | null; pending: unknown[]; refusal: { code: string } | null; applied: Array<{ version: number; kind: string }> }>;
}

let server: TestServer;

async function newApp(engine: Engine, files: Record<string, string>, extra: Record<string, unknown> = {}): Promise<App> {
  const dir = tempDir(`cairn-neutral-${engine}-`);
  const migrations = path.join(dir, 'migrations');
  fs.mkdirSync(migrations);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(migrations, name), text);
  const env: NodeJS.ProcessEnv = { ...process.env };
  const store =
    engine === 'sqlite'
      ? { file: 'app.sqlite', migrations: 'migrations', ...extra }
      : { engine: 'postgres', url: '${APP_DB_URL}', schema: 'app', migrations: 'migrations', ...extra };
  if (engine === 'postgres') env.APP_DB_URL = server.url(await server.createDatabase());
  fs.writeFileSync(path.join(dir, 'cairn.config.json'), JSON.stringify({ stores: { app: store } }));
  const cairn = (...argv: string[]) => cliWith({ cwd: dir, env }, ...argv);
  return {
    dir,
    cairn,
    write: (name, text) => fs.writeFileSync(path.join(migrations, name), text),
    status: async () => JSON.parse((await cairn('status', '--json')).stdout).stores[0],
  };
}

const up = (table: string) => `-- +goose Up\nCREATE TABLE ${table} (id INTEGER PRIMARY KEY);\n\n-- +goose Down\nDROP TABLE ${table};\n`;

const CASES: Array<{ name: string; run(engine: Engine): Promise<void> }> = [
  {
    name: 'applies pending files in order, once; a second run does nothing',
    async run(engine) {
      const app = await newApp(engine, { '0001_a.sql': up('a'), '0002_b.sql': up('b') });
      assert.equal((await app.cairn('migrate')).code, 0);
      const again = await app.cairn('migrate', '--json');
      assert.deepEqual(JSON.parse(again.stdout).stores[0].applied, []);
      assert.equal((await app.status()).current, 2);
    },
  },
  {
    name: 'an edited applied file is refused (exit 2) and nothing else runs',
    async run(engine) {
      const app = await newApp(engine, { '0001_a.sql': up('a') });
      await app.cairn('migrate');
      app.write('0001_a.sql', up('a') + '-- edited\n');
      app.write('0002_b.sql', up('b'));
      const r = await app.cairn('migrate');
      assert.equal(r.code, 2);
      assert.match(r.stderr, /0001_a\.sql changed after it was applied/);
      const status = await app.status();
      assert.equal(status.current, 1);
      assert.equal(status.refusal?.code, 'E_CHECKSUM_MISMATCH');
    },
  },
  {
    name: 'a file numbered below the newest applied one is refused, and allowed with --allow-out-of-order',
    async run(engine) {
      const app = await newApp(engine, { '0001_a.sql': up('a'), '0003_c.sql': up('c') });
      await app.cairn('migrate');
      app.write('0002_b.sql', up('b'));
      assert.equal((await app.cairn('migrate')).code, 2);
      assert.equal((await app.cairn('migrate', '--allow-out-of-order')).code, 0);
      assert.equal((await app.status()).applied.length, 3);
    },
  },
  {
    name: 'a database migrated by a newer release is refused unless every unknown version only adds',
    async run(engine) {
      const app = await newApp(engine, { '0001_a.sql': up('a'), '0002_b.sql': up('b') });
      await app.cairn('migrate');
      fs.rmSync(path.join(app.dir, 'migrations', '0002_b.sql'));
      const additive = await app.cairn('migrate');
      assert.equal(additive.code, 0, 'an additive newer version: goes on with a warning');
      app.write('0002_b.sql', up('b'));
      app.write('0003_drop.sql', 'DROP TABLE a;\n');
      assert.equal((await app.cairn('migrate')).code, 0);
      fs.rmSync(path.join(app.dir, 'migrations', '0003_drop.sql'));
      const r = await app.cairn('migrate');
      assert.equal(r.code, 2);
      assert.match(r.stderr, /newer release/);
    },
  },
  {
    name: '--to goes down through Down sections and back up',
    async run(engine) {
      const app = await newApp(engine, { '0001_a.sql': up('a'), '0002_b.sql': up('b') });
      await app.cairn('migrate');
      assert.equal((await app.cairn('migrate', '--to', '0')).code, 0);
      assert.equal((await app.status()).current, null);
      assert.equal((await app.cairn('migrate')).code, 0);
      assert.equal((await app.status()).current, 2);
    },
  },
  {
    name: 'a fresh database starts from the baseline in one step; later files follow',
    async run(engine) {
      const app = await newApp(engine, { '0003_c.sql': up('c') }, { baseline: { file: 'baseline.sql', version: 2 } });
      fs.writeFileSync(path.join(app.dir, 'baseline.sql'), 'CREATE TABLE a (id INTEGER PRIMARY KEY);\nCREATE TABLE b (id INTEGER PRIMARY KEY);\n');
      const r = await app.cairn('migrate');
      assert.equal(r.code, 0, r.stderr);
      const status = await app.status();
      assert.deepEqual(
        status.applied.map((a) => [a.version, a.kind]),
        [
          [2, 'baseline'],
          [3, 'migration'],
        ],
      );
    },
  },
];

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`the migration engine on ${engine}`, () => {
    before(async () => {
      if (engine === 'postgres') server = await startPostgres();
    });
    after(async () => {
      if (engine === 'postgres') await server?.stop();
    });
    for (const c of CASES) it(c.name, () => c.run(engine));
  });
}
