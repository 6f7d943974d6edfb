// One contestant of the import benchmark, in its own process so its peak RSS
// is its own: `node import-child.mjs raw|cairn FILE.jsonl DIR`. Prints one JSON line.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { defineStores, runImport } from '../dist/index.js';
import { readLines } from '../dist/importers/read-lines.js';

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
  const db = new Database(path.join(dir, 'raw.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  const insert = db.prepare('INSERT INTO events (session, seq, kind, at, text) VALUES (?, ?, ?, ?, ?)');
  const batch = db.transaction((slice) => {
    for (const r of slice) insert.run(r[0], r[1], r[2], r[3], r[4]);
  });
  const t = performance.now();
  for (let i = 0; i < built.length; i += BATCH) batch(built.slice(i, i + BATCH));
  seconds = (performance.now() - t) / 1000;
  rows = built.length;
  db.close();
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
