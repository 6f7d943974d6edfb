// The README's demo: a realistic agent app's three stores, set up in a scratch
// folder and taken through status → migrate → status with the real CLI, its
// legacy flat files imported (and imported again: nothing new), its
// conversation rollouts backfilled in the background by the app while it
// reads through them (files first, the DB once complete), refreshed after one
// grows, opened the way the app itself would at startup (openStores), its
// old log entries pruned by the logs store's retention.
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateLegacy } from './legacy-generator.mjs';
import { generateRollouts } from './rollout-generator.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const bin = path.join(repo, 'dist', 'cli', 'bin.js');
const scratch = path.resolve(process.env.CAIRN_DEMO_DIR ?? path.join(repo, '.demo'));

fs.rmSync(scratch, { recursive: true, force: true });
fs.mkdirSync(scratch, { recursive: true });
fs.copyFileSync(path.join(here, 'cairn.config.json'), path.join(scratch, 'cairn.config.json'));
fs.cpSync(path.join(here, 'migrations'), path.join(scratch, 'migrations'), { recursive: true });
fs.cpSync(path.join(here, 'imports'), path.join(scratch, 'imports'), { recursive: true });
fs.cpSync(path.join(here, 'jobs'), path.join(scratch, 'jobs'), { recursive: true });

/** Runs the real CLI; `expect` is the exit code this step should end with. */
function cairn(args, { expect = 0, why = '' } = {}) {
  console.log(`\n$ cairn ${args.join(' ')}${why ? `    # ${why}` : ''}`);
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: scratch, stdio: 'inherit' });
  if (r.status !== expect) {
    console.error(`demo: cairn ${args.join(' ')} exited ${r.status}, expected ${expect}`);
    process.exit(r.status || 1);
  }
}

console.log(`demo app: ${scratch}`);
cairn(['status']);
cairn(['lint'], { why: 'exit 0: the pending files are checked against the schema they will meet; nothing here fails or loses data' });
cairn(['migrate', '--dry-run', '--store', 'goals']);
cairn(['migrate']);
cairn(['status']);

// The releases before this one kept state in flat files; a few are damaged, as real ones are.
const legacy = generateLegacy(path.join(scratch, 'legacy'));
console.log(`\nlegacy layout: ${legacy.projects} projects, ${legacy.sessions} sessions, ${legacy.events} transcript events in ${path.join(scratch, 'legacy')}`);
cairn(['import', 'legacy', '--from', 'legacy'], { expect: 1, why: 'exit 1: a few damaged lines went to the rejects file' });
cairn(['import', 'legacy', '--from', 'legacy'], { expect: 1, why: 'again: every row already present, nothing new written' });

// Years of conversation rollouts: the backfill job moves them into threads and events, resumably.
const rollouts = generateRollouts(path.join(scratch, 'data'), { conversations: 60, eventsPerConversation: 50 });
console.log(`\nrollouts: ${rollouts.conversations} conversations, ${rollouts.events} events in ${path.join(scratch, 'data', 'rollouts')}`);

// The new release starts while the history is still only files: it backfills in the background and reads through,
// from the files while the job is not complete (each such read counted for doctor), from the DB once it is.
const { loadConfig, openStores, readThrough } = await import(path.join(repo, 'dist', 'index.js'));
const { startBackfill } = await import(path.join(repo, 'dist', 'backfill', 'index.js'));
const registry = await loadConfig({ cwd: scratch });
{
  const app = await openStores(registry);
  const thread = path.basename(rollouts.files[0], '.jsonl').replace(/^rollout-[\dT-]{19}-/, '');
  const titleOf = (id) =>
    readThrough(app.db('state'), 'rollouts', {
      fromDb: () => {
        const row = app.db('state').prepare('SELECT title FROM threads WHERE id = ?').get(id);
        return row && `"${row.title}" from the DB`;
      },
      fromFiles: () => `"${JSON.parse(fs.readFileSync(rollouts.files[0], 'utf8').split('\n')[0]).payload.title}" from its rollout file`,
    });
  console.log(`\napp: before the backfill, thread ${thread.slice(0, 8)}… reads ${titleOf(thread)}`);
  let once = true;
  const run = startBackfill(registry, {
    job: 'rollouts',
    onProgress: () => {
      if (once) console.log(`app: while the backfill runs, it reads ${titleOf(thread)}`);
      once = false;
    },
  });
  const result = await run.done;
  console.log(
    `app: backfill ${result.outcome}: ${Object.values(result.tables).reduce((n, t) => n + t.inserted, 0)} rows, ${result.rejected} lines rejected (a malformed line and a line cut short, kept in ${path.relative(scratch, result.rejectsFile)})`,
  );
  console.log(`app: now it reads ${titleOf(thread)}`);
  await app.close();
}
cairn(['backfill', 'rollouts'], { why: 'complete: one indexed read, nothing listed' });
// A conversation goes on after the backfill finished, and a new one starts.
fs.appendFileSync(
  rollouts.files.at(-1),
  JSON.stringify({ timestamp: '2025-03-04T12:00:00.000Z', type: 'event', payload: { type: 'user_message', text: 'one more thing' } }) + '\n',
);
generateRollouts(path.join(scratch, 'data'), { conversations: 1, eventsPerConversation: 5, start: 60, damage: false });
cairn(['backfill', 'rollouts', '--refresh'], { why: 'the grown file is read from its recorded offset, the new one whole' });
cairn(['backfill', '--status']);

// What the app does on every start: one call; nothing pending → the fast path.
const started = performance.now();
const stores = await openStores(registry);
const ms = performance.now() - started;
stores.db('state').prepare("INSERT INTO projects (id, path, name) VALUES ('p1', '/work/app', 'app') ON CONFLICT DO NOTHING").run();
const count = stores.db('state').prepare('SELECT count(*) AS n FROM projects').get().n;
// The app logs as it runs; `cairn tail` reads them back like a log file.
const log = stores.db('logs').prepare('INSERT INTO log_entries (at, level, target, message, thread_id) VALUES (?, ?, ?, ?, ?)');
const levels = ['info', 'debug', 'info', 'warn', 'info', 'error'];
// Last month's entries, written by the release before, and this session's (the last twenty minutes).
const hourAgo = Date.now() - 20 * 60_000;
for (let i = 0; i < 30; i++) log.run(new Date(hourAgo - 30 * 86_400_000 + i * 1000).toISOString(), 'info', 'agent::turn', `old step ${i}`, 't0');
for (let i = 0; i < 60; i++) {
  const level = levels[i % levels.length];
  log.run(
    new Date(hourAgo + i * 20_000).toISOString(),
    level,
    i % 4 ? 'agent::turn' : 'agent::net',
    level === 'error' ? `request ${i} timed out after 30s` : `step ${i}`,
    `t${i % 3}`,
  );
}
await stores.close();
console.log(
  `\nopenStores(): ${Object.keys(stores.dbs).join(', ')} open in ${ms.toFixed(2)} ms, nothing pending (a cold first call; npm run bench measures the steady cost); projects: ${count}`,
);

// The logs store declares retention (14 days, at most 100,000 rows): last month's entries go, in short batches.
// An app gets this from openStores() in the background; an operator runs it by hand.
cairn(['prune', '--dry-run'], { why: 'counts what would go, deletes nothing' });
cairn(['prune']);
cairn(['tail', 'log_entries', '-n', '4'], { why: 'the last rows of the logs store, as a log file' });
cairn(['tail', 'log_entries', '--match', 'level=ERROR', '--contains', 'message=timed out', '--since', '10m', '--json']);

// The operator's view of every store; the rejected lines above are what it warns about.
cairn(['doctor', '--summary'], { why: 'exit 0: warnings only' });

// A portable snapshot of the state store, restored into a second file and proved equal, row for row.
const snapshot = path.join(scratch, 'snapshots', 'state');
const copy = path.join(scratch, 'snapshots', 'state-copy.sqlite');
fs.rmSync(path.join(scratch, 'snapshots'), { recursive: true, force: true });
cairn(['export', '--store', 'state', '--out', snapshot], { why: 'one JSONL file per table, manifest.json with counts and SHA-256' });
cairn(['restore', '--from', snapshot, '--target', copy], { why: "a fresh file at the app's schema, filled in one transaction, compared line by line" });
cairn(['verify', '--store', 'state', '--db', copy, '--snapshot', snapshot], { why: 'exit 0: sound, up to date, and equal to the snapshot' });

// A damaged copy: a torn write left half of one page of the events table zeroed, and an applied migration was edited since.
const damaged = `${scratch}-damaged`;
fs.rmSync(damaged, { recursive: true, force: true });
fs.cpSync(scratch, damaged, { recursive: true });
const stateFile = path.join(damaged, 'data', 'state.sqlite');
tearPage(stateFile, 'events');
fs.appendFileSync(path.join(damaged, 'migrations', 'state', '0002_threads.sql'), '\n-- edited after it was applied\n');
console.log(`\ndamaged copy: ${damaged} (half a page of events zeroed, 0002_threads.sql edited)`);
cairn(['--config', path.join(damaged, 'cairn.config.json'), 'doctor', '--store', 'state'], { expect: 1, why: 'exit 1: both caught, nothing changed' });

/** Zeroes the second half of one leaf page of `table`, as a write torn by a power cut leaves it. */
function tearPage(file, table) {
  const db = new Database(file, { readonly: true });
  const pageSize = db.pragma('page_size', { simple: true });
  const pages = db.prepare("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno").all(table);
  db.close();
  const page = pages[Math.floor(pages.length / 2)].pageno;
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.alloc(pageSize / 2), 0, pageSize / 2, (page - 1) * pageSize + pageSize / 2);
  fs.closeSync(fd);
}
