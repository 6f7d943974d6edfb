// One contestant of the backfill benchmark, in its own process so its peak
// RSS is its own: `node backfill-child.mjs raw|cairn DIR`. Prints one JSON line.
import fs from 'node:fs';
import path from 'node:path';
import { defineStores, runBackfill } from '../dist/index.js';
import { readLines } from '../dist/importers/read-lines.js';
import { rawInsert } from './raw-insert.mjs';

export const SCHEMA =
  'CREATE TABLE events (thread_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (thread_id, seq));\n';
const BATCH = 2000;

const [mode, dir] = process.argv.slice(2);
const files = fs
  .readdirSync(path.join(dir, 'history'))
  .sort()
  .map((f) => path.join(dir, 'history', f));
let rows = 0;
let seconds = 0;

if (mode === 'raw') {
  // The raw limit: rows already built in memory (not timed), a prepared INSERT, batched transactions.
  const built = [];
  for (const file of files) {
    const thread = path.basename(file, '.jsonl');
    for (const line of readLines(file)) {
      const r = JSON.parse(line.text);
      built.push([thread, line.number, r.kind, r.at, r.text]);
    }
  }
  seconds = rawInsert(path.join(dir, 'raw.sqlite'), SCHEMA, 'INSERT INTO events (thread_id, seq, kind, at, text) VALUES (?, ?, ?, ?, ?)', built, BATCH);
  rows = built.length;
} else if (mode === 'cairn') {
  const app = path.join(dir, 'app');
  fs.rmSync(app, { recursive: true, force: true });
  fs.mkdirSync(path.join(app, 'migrations'), { recursive: true });
  fs.writeFileSync(path.join(app, 'migrations', '0001_events.sql'), SCHEMA);
  const job = path.join(app, 'job.mjs');
  const index = new URL('../dist/index.js', import.meta.url).href;
  fs.writeFileSync(
    job,
    `import path from 'node:path';
import { defineBackfill } from ${JSON.stringify(index)};
export default defineBackfill({
  target: 'bench',
  items: 'history/*.jsonl',
  map: ({ item, line, value: r }) => ({ rows: { events: { thread_id: path.basename(item.file, '.jsonl'), seq: line, kind: r.kind, at: r.at, text: r.text } } }),
});
`,
  );
  const registry = defineStores({ home: dir, stores: { bench: { file: 'app/cairn.sqlite', migrations: 'app/migrations', backups: false } } }, { root: dir });
  const t = performance.now();
  const result = await runBackfill(registry, { job, migrate: true });
  seconds = (performance.now() - t) / 1000;
  rows = result.tables.events.inserted;
  if (result.rejected > 0 || result.outcome !== 'complete') throw new Error(`bench backfill: ${result.outcome}, ${result.rejected} rejected`);
} else {
  throw new Error(`unknown mode ${mode}`);
}
console.log(JSON.stringify({ mode, rows, seconds, rowsPerSecond: rows / seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
