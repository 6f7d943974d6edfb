// Moving data in and out of a PostgreSQL store (issue 19), each as a ratio to
// the raw server limit measured in the same run on the same server: import of
// N JSONL records against one COPY of the same rows already converted to CSV
// into the same indexed table (what `psql -c "\copy t FROM 'rows.csv' CSV"`
// does), export against `COPY (SELECT …) TO` a file, restore of the export
// against the same COPY in. Alternating rounds, each contestant in a fresh
// process and a fresh database; the median of the per-round ratios, with
// peak RSS at N/2 and N to show memory does not grow with the input.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startPostgres } from '../build/postgres/server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const child = path.join(here, 'pg-data-child.mjs');
const ROUNDS = 3;

/** The import bench's record shape, as JSONL and as the CSV a raw COPY reads. */
function writeInputs(jsonl, csv, n) {
  const j = fs.openSync(jsonl, 'w');
  const c = fs.openSync(csv, 'w');
  const kinds = ['user_message', 'agent_message', 'tool_call', 'tool_result'];
  const quote = (s) => `"${s.replace(/"/g, '""')}"`;
  let lines = [];
  let rows = [];
  for (let i = 0; i < n; i++) {
    const r = {
      session: `sess-${String(Math.floor(i / 200)).padStart(6, '0')}`,
      seq: i % 200,
      kind: kinds[i % 4],
      at: new Date(1736150400000 + i * 1000).toISOString(),
      text: `event ${i} `.padEnd(96, 'lorem ipsum '),
    };
    lines.push(JSON.stringify(r));
    rows.push([quote(r.session), r.seq, r.kind, r.at, quote(r.text)].join(','));
    if (lines.length === 10_000) {
      fs.writeSync(j, lines.join('\n') + '\n');
      fs.writeSync(c, rows.join('\n') + '\n');
      lines = [];
      rows = [];
    }
  }
  if (lines.length) {
    fs.writeSync(j, lines.join('\n') + '\n');
    fs.writeSync(c, rows.join('\n') + '\n');
  }
  fs.closeSync(j);
  fs.closeSync(c);
}

function run(mode, url, file, dir) {
  const r = spawnSync(process.execPath, [child, mode, url, file, dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

async function dropDatabase(server, url) {
  const client = new pg.Client({ connectionString: server.url() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

async function settle(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('VACUUM (ANALYZE) bench.events');
  } finally {
    await client.end();
  }
}

const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchPgData({ rows = 1_000_000, quick = false } = {}) {
  const n = quick ? Math.floor(rows / 10) : rows;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bench-pgdata-'));
  const server = await startPostgres();
  try {
    const jsonl = path.join(dir, 'rows.jsonl');
    const csv = path.join(dir, 'rows.csv');
    const half = path.join(dir, 'half.jsonl');
    writeInputs(jsonl, csv, n);
    writeInputs(half, path.join(dir, 'half.csv'), Math.floor(n / 2));
    const db = async () => server.url(await server.createDatabase());
    const rounds = [];
    for (let i = 0; i < (quick ? 1 : ROUNDS); i++) {
      const work = (name) => path.join(dir, `${name}-${i}`);
      const rawUrl = await db();
      const rawIn = run('raw-copy-in', rawUrl, csv, work('raw-in'));
      const cairnUrl = await db();
      const cairnIn = run('cairn-import', cairnUrl, jsonl, work('cairn-in'));
      // Settle the new table (hint bits, visibility map) so neither export pays for it: the first reader would otherwise.
      await settle(cairnUrl);
      // Both read the same table: who reads it first alternates by round.
      const outs = [
        ['raw-copy-out', 'raw-out'],
        ['cairn-export', 'cairn-out'],
      ];
      if (i % 2 === 1) outs.reverse();
      const read = Object.fromEntries(outs.map(([mode, name]) => [mode, run(mode, cairnUrl, '-', work(name))]));
      const rawOut = read['raw-copy-out'];
      const cairnOut = read['cairn-export'];
      const restoreUrl = await db();
      const cairnRestore = run('cairn-restore', restoreUrl, path.join(work('cairn-out'), 'snapshot'), work('cairn-restore'));
      for (const [what, r] of Object.entries({ rawIn, cairnIn, rawOut, cairnOut, cairnRestore })) {
        if (r.rows !== n) throw new Error(`bench ${what}: ${r.rows} rows, expected ${n}`);
      }
      rounds.push({
        rawIn,
        cairnIn,
        rawOut,
        cairnOut,
        cairnRestore,
        import: cairnIn.rowsPerSecond / rawIn.rowsPerSecond,
        export: cairnOut.rowsPerSecond / rawOut.rowsPerSecond,
        restore: cairnRestore.rowsPerSecond / rawIn.rowsPerSecond,
      });
      for (const url of [rawUrl, cairnUrl, restoreUrl]) await dropDatabase(server, url);
      fs.rmSync(work('raw-out'), { recursive: true, force: true });
      fs.rmSync(work('cairn-out'), { recursive: true, force: true });
    }
    const halfUrl = await db();
    const cairnHalf = run('cairn-import', halfUrl, half, path.join(dir, 'cairn-half'));
    const ratio = (key) => median(rounds.map((r) => r[key]));
    const spread = (key) => rounds.map((r) => r[key].toFixed(2)).join(', ');
    const rate = (key, side) => Math.round(median(rounds.map((r) => r[side].rowsPerSecond))).toLocaleString('en-US');
    const peak = (side) => Math.max(...rounds.map((r) => r[side].maxRssMb));
    const goals = { import: 0.6, export: 0.8, restore: 0.7 };
    const rss = { import: peak('cairnIn'), export: peak('cairnOut'), restore: peak('cairnRestore') };
    const flat = rss.import < 250 && rss.import < cairnHalf.maxRssMb * 1.25 && rss.export < 250 && rss.restore < 250;
    return {
      name: `postgres data: ${n.toLocaleString('en-US')} records (${(fs.statSync(jsonl).size / 1e6).toFixed(0)} MB JSONL) into an indexed table, the tests' server`,
      lines: [
        `raw COPY FROM STDIN (CSV)              ${rate('import', 'rawIn')} rows/s`,
        `cairn import                           ${rate('import', 'cairnIn')} rows/s → ${ratio('import').toFixed(2)}× raw, median of ${rounds.length} (${spread('import')}) (goal ≥ ${goals.import}×, stretch 0.8×)`,
        `raw COPY (SELECT …) TO STDOUT (CSV)    ${rate('export', 'rawOut')} rows/s`,
        `cairn export                           ${rate('export', 'cairnOut')} rows/s → ${ratio('export').toFixed(2)}× raw, median of ${rounds.length} (${spread('export')}) (goal ≥ ${goals.export}×)`,
        `cairn restore (against COPY FROM)      ${rate('restore', 'cairnRestore')} rows/s → ${ratio('restore').toFixed(2)}× raw, median of ${rounds.length} (${spread('restore')}) (goal ≥ ${goals.restore}×)`,
        `cairn peak RSS: import ${cairnHalf.maxRssMb.toFixed(0)} MB at ${Math.floor(n / 2).toLocaleString('en-US')}, ${rss.import.toFixed(0)} MB at ${n.toLocaleString('en-US')}; export ${rss.export.toFixed(0)} MB; restore ${rss.restore.toFixed(0)} MB (goal < 250 MB, flat)`,
      ],
      ok: ratio('import') >= goals.import && ratio('export') >= goals.export && ratio('restore') >= goals.restore && flat,
      rounds,
      cairnHalf,
    };
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(fileURLToPath(import.meta.url))) {
  const r = await benchPgData({ quick: process.argv.includes('--quick'), rows: Number(process.env.CAIRN_BENCH_ROWS ?? 1_000_000) });
  console.log(`${r.name}: ${r.ok ? 'within goal' : 'OVER GOAL'}`);
  for (const line of r.lines) console.log(`  ${line}`);
}
