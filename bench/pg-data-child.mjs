// One contestant of the PostgreSQL data benchmark, in its own process so its
// peak RSS is its own: `node pg-data-child.mjs MODE URL FILE DIR`. Prints one JSON line.
// The raw modes are what `psql -c "\copy …"` does: COPY over the protocol, the
// file streamed as it is read (the tests' server ships no psql).
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { defineStores, runImport } from '../dist/index.js';
import { exportPostgres } from '../dist/postgres/export.js';
import { migratePostgres } from '../dist/postgres/migrate.js';
import { restorePostgres } from '../dist/postgres/restore.js';

export const SCHEMA =
  'CREATE TABLE events (session text NOT NULL, seq integer NOT NULL, kind text NOT NULL, at timestamptz NOT NULL, text text NOT NULL, PRIMARY KEY (session, seq));\n';

const [mode, url, file, dir] = process.argv.slice(2);
fs.mkdirSync(dir, { recursive: true });
const migrations = path.join(dir, 'migrations');
fs.mkdirSync(migrations, { recursive: true });
fs.writeFileSync(path.join(migrations, '0001_events.sql'), SCHEMA);
const target = { name: 'bench', url, schema: 'bench', migrations, baseline: null, allowOutOfOrder: false, lockTimeoutMs: 60_000 };

async function withClient(fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

let rows = 0;
let seconds = 0;
const timed = async (fn) => {
  const t = performance.now();
  const out = await fn();
  seconds = (performance.now() - t) / 1000;
  return out;
};

if (mode === 'raw-copy-in') {
  // The table made by the same migration, then one COPY of the rows already converted to CSV.
  await migratePostgres(target);
  await withClient((client) =>
    timed(() =>
      pipeline(fs.createReadStream(file), client.query(copyStreams.from('COPY bench.events (session, seq, kind, at, text) FROM STDIN (FORMAT csv)'))),
    ),
  );
  rows = Number((await withClient((c) => c.query('SELECT count(*) FROM bench.events'))).rows[0].count);
} else if (mode === 'cairn-import') {
  await migratePostgres(target);
  const plan = path.join(dir, 'plan.mjs');
  const index = new URL('../dist/index.js', import.meta.url).href;
  fs.writeFileSync(
    plan,
    `import { defineImport, source } from ${JSON.stringify(index)};
export default defineImport({
  target: 'bench',
  sources: { events: source.jsonl(${JSON.stringify(file)}) },
  map: ({ value: r }) => ({ rows: { events: { session: r.session, seq: r.seq, kind: r.kind, at: r.at, text: r.text } } }),
});
`,
  );
  const registry = defineStores({ home: dir, stores: { bench: { engine: 'postgres', url, schema: 'bench', migrations: 'migrations' } } }, { root: dir });
  const summary = await timed(() => runImport(registry, { plan }));
  if (summary.rejected > 0) throw new Error(`bench import rejected ${summary.rejected} rows`);
  rows = summary.tables.events.inserted;
} else if (mode === 'raw-copy-out') {
  await withClient((client) =>
    timed(() =>
      pipeline(
        client.query(copyStreams.to('COPY (SELECT session, seq, kind, at, text FROM bench.events ORDER BY session, seq) TO STDOUT (FORMAT csv)')),
        fs.createWriteStream(path.join(dir, 'out.csv')),
      ),
    ),
  );
  rows = fs.readFileSync(path.join(dir, 'out.csv'), 'utf8').split('\n').length - 1;
} else if (mode === 'cairn-export') {
  const result = await timed(() => exportPostgres(target, { out: path.join(dir, 'snapshot') }));
  rows = result.rows;
} else if (mode === 'cairn-restore') {
  await migratePostgres(target);
  const result = await timed(() => restorePostgres(target, { from: file }));
  rows = result.rows;
} else {
  throw new Error(`unknown mode ${mode}`);
}
console.log(JSON.stringify({ mode, rows, seconds, rowsPerSecond: rows / seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
