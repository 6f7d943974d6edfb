// One contestant of the agent-shaped benches, in its own process so its peak
// RSS and CPU time are its own: `node agent-child.mjs raw|import|backfill
// CORPUS OUT`. Prints one JSON line: rows, wall seconds, CPU seconds (both
// threads), peak RSS.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { defineStores, runBackfill, runImport } from '../dist/index.js';
import { readLines } from '../dist/importers/read-lines.js';
import { AGENT_MAP, AGENT_SCHEMA, threadOf } from './agent-corpus.mjs';

const map = AGENT_MAP.replace('PAYLOAD', process.env.CAIRN_BENCH_PAYLOAD === 'object' ? 'value.payload' : "rawJson(record, 'payload')");

const [mode, corpus, out] = process.argv.slice(2);
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
// cairn decides whether to use a worker thread (a second core free); CAIRN_BENCH_WORKER=0/1 forces it, to compare.
const worker = { 0: false, 1: true }[process.env.CAIRN_BENCH_WORKER ?? ''];
let rows = 0;
let seconds = 0;
let cpuSeconds = 0;

if (mode === 'raw') {
  // The raw limit: 10,000 rows at a time, parsed and built with the payload already JSON text
  // (not timed), then inserted with one prepared INSERT … ON CONFLICT DO NOTHING per table in one
  // transaction (timed); WAL, foreign keys on. Built a chunk at a time, not all at once: a
  // million prebuilt rows would make the inserts read their values from gigabytes of cold memory
  // and measure that instead of SQLite.
  const db = new Database(path.join(out, 'raw.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.exec(AGENT_SCHEMA);
  const insertThread = db.prepare('INSERT INTO threads (id, cwd, cli_version, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
  const insertItem = db.prepare('INSERT INTO items (thread_id, seq, kind, at, payload) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
  const chunk = db.transaction((threads, items) => {
    for (const r of threads) insertThread.run(r);
    for (const r of items) insertItem.run(r);
  });
  let [threads, items] = [[], []];
  const flush = () => {
    const [t, c] = [performance.now(), cpu()];
    chunk(threads, items);
    seconds += (performance.now() - t) / 1000;
    cpuSeconds += cpu() - c;
    rows += threads.length + items.length;
    [threads, items] = [[], []];
  };
  const files = fs.readdirSync(path.join(corpus, 'rollouts'), { recursive: true }).filter((f) => f.endsWith('.jsonl'));
  for (const name of files.sort()) {
    const file = path.join(corpus, 'rollouts', name);
    const thread = threadOf(file);
    for (const line of readLines(file)) {
      let v;
      try {
        v = JSON.parse(line.text);
      } catch {
        continue;
      }
      if (v.type === 'session_meta') threads.push([thread, v.payload.cwd, v.payload.cli_version, v.timestamp]);
      else items.push([thread, line.number, v.payload.type ?? v.type, v.timestamp, JSON.stringify(v.payload)]);
      if (threads.length + items.length === 10_000) flush();
    }
  }
  flush();
  db.close();
} else {
  fs.mkdirSync(path.join(out, 'migrations'));
  fs.writeFileSync(path.join(out, 'migrations', '0001_agent.sql'), AGENT_SCHEMA);
  const index = new URL('../dist/index.js', import.meta.url).href;
  const module = path.join(out, `${mode}.mjs`);
  fs.writeFileSync(
    module,
    mode === 'import'
      ? `import path from 'node:path';\nimport { defineImport, rawJson, source } from ${JSON.stringify(index)};\nexport default defineImport({ target: 'bench', sources: { rollouts: source.jsonl('rollouts/**/*.jsonl') }, map: ${map}${process.env.BATCH ? `, batchSize: ${process.env.BATCH}` : ''} });\n`
      : `import path from 'node:path';\nimport { defineBackfill, rawJson } from ${JSON.stringify(index)};\nexport default defineBackfill({ target: 'bench', items: 'rollouts/**/*.jsonl', map: ${map} });\n`,
  );
  const registry = defineStores(
    { home: corpus, stores: { bench: { file: path.join(out, 'cairn.sqlite'), migrations: path.join(out, 'migrations'), backups: false } } },
    { root: out },
  );
  const rejects = path.join(out, 'rejects.jsonl');
  const [t, c] = [performance.now(), cpu()];
  const result =
    mode === 'import'
      ? await runImport(registry, { plan: module, from: corpus, rejectsFile: rejects, worker })
      : await runBackfill(registry, { job: module, from: corpus, migrate: true, rejectsFile: rejects, worker });
  [seconds, cpuSeconds] = [(performance.now() - t) / 1000, cpu() - c];
  rows = Object.values(result.tables).reduce((n, t) => n + t.inserted, 0);
}
console.log(JSON.stringify({ mode, rows, seconds, cpuSeconds, rowsPerSecond: rows / seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
