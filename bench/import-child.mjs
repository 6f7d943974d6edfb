// One contestant of the import benchmark, in its own process so its peak RSS
// is its own: `node import-child.mjs raw|cairn FILE.jsonl DIR`. Prints one JSON line.
import fs from 'node:fs';
import path from 'node:path';
import { defineStores, runImport } from '../dist/index.js';
import { readLines } from '../dist/importers/read-lines.js';
import { rawInsert } from './raw-insert.mjs';

const SCHEMA =
  'CREATE TABLE events (session TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (session, seq));\n';
const BATCH = 2000;

const [mode, file, dir] = process.argv.slice(2);
fs.mkdirSync(dir, { recursive: true });
let rows = 0;
let seconds = 0;

if (mode === 'raw') {
  // The raw limit: rows already built in memory (not timed), a prepared INSERT, batched transactions.
  const built = [];
  for (const line of readLines(file)) {
    const r = JSON.parse(line.text);
    built.push([r.session, r.seq, r.kind, r.at, r.text]);
  }
  seconds = rawInsert(path.join(dir, 'raw.sqlite'), SCHEMA, 'INSERT INTO events (session, seq, kind, at, text) VALUES (?, ?, ?, ?, ?)', built, BATCH);
  rows = built.length;
} else if (mode === 'cairn') {
  fs.mkdirSync(path.join(dir, 'migrations'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'migrations', '0001_events.sql'), SCHEMA);
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
  const registry = defineStores({ home: dir, stores: { bench: { file: 'cairn.sqlite', migrations: 'migrations', backups: false } } }, { root: dir });
  const t = performance.now();
  const summary = await runImport(registry, { plan });
  seconds = (performance.now() - t) / 1000;
  rows = summary.tables.events.inserted;
  if (summary.rejected > 0) throw new Error(`bench import rejected ${summary.rejected} rows`);
} else {
  throw new Error(`unknown mode ${mode}`);
}
console.log(JSON.stringify({ mode, rows, seconds, rowsPerSecond: rows / seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
