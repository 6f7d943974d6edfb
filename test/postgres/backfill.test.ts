// `cairn backfill` into a PostgreSQL store, on a real server: checkpoints in
// the rows' transaction, resume after SIGKILL at random points, one holder
// per job across processes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, cliWith } from '../helpers.js';
import { jobSource, normalizedRejects, writeConversations } from '../backfill/helpers.js';
import { mixedServerApp, pgQuery, startPostgres, type TestServer } from './server.js';

let server: TestServer;

// `npm run torture` raises this (CAIRN_TORTURE_KILLS=200).
const KILLS = Math.max(50, Number(process.env.CAIRN_TORTURE_KILLS ?? 50));

const PG_HISTORY = {
  '0001_convs.sql': 'CREATE TABLE convs (id text PRIMARY KEY, title text NOT NULL);\n',
  '0002_msgs.sql':
    'CREATE TABLE msgs (conv_id text NOT NULL REFERENCES convs (id), seq integer NOT NULL, body text NOT NULL, PRIMARY KEY (conv_id, seq));\n' +
    'CREATE TABLE tokens (conv_id text NOT NULL, n integer NOT NULL);\n',
};

interface PgHistoryApp {
  dir: string;
  env: NodeJS.ProcessEnv;
  url: string;
  home: string;
}

async function historyApp(job = jobSource()): Promise<PgHistoryApp> {
  const app = await mixedServerApp(server, {
    state: { '00001_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY);\n' },
    store: 'hist',
    files: PG_HISTORY,
  });
  const config = path.join(app.dir, 'cairn.config.json');
  const cfg = JSON.parse(fs.readFileSync(config, 'utf8'));
  cfg.home = 'home';
  cfg.backfills = { hist: 'jobs/hist.mjs' };
  fs.writeFileSync(config, JSON.stringify(cfg, null, 2));
  fs.mkdirSync(path.join(app.dir, 'jobs'));
  fs.writeFileSync(path.join(app.dir, 'jobs', 'hist.mjs'), job);
  const home = path.join(app.dir, 'home');
  fs.mkdirSync(home, { recursive: true });
  return { ...app, home };
}

const backfill = (app: PgHistoryApp, ...argv: string[]) => cliWith({ cwd: app.dir, env: app.env }, 'backfill', 'hist', ...argv);

async function dumpRows(app: PgHistoryApp): Promise<Record<string, unknown[]>> {
  return {
    convs: await pgQuery(app.url, 'SELECT * FROM hist.convs ORDER BY id'),
    msgs: await pgQuery(app.url, 'SELECT * FROM hist.msgs ORDER BY conv_id, seq'),
    tokens: await pgQuery(app.url, 'SELECT * FROM hist.tokens ORDER BY conv_id, n'),
  };
}

async function jobState(app: PgHistoryApp): Promise<Record<string, unknown> | undefined> {
  const [present] = await pgQuery<{ ok: boolean }>(app.url, "SELECT to_regclass('hist.cairn_backfill_state') IS NOT NULL AS ok");
  if (!present?.ok) return undefined;
  const [row] = await pgQuery(app.url, "SELECT * FROM hist.cairn_backfill_state WHERE job = 'hist'");
  return row;
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('cairn backfill into a PostgreSQL store', () => {
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  it('fills the tables, rejects bad lines with file and line, completes; a re-run is one read; --refresh reads only what grew', async () => {
    const app = await historyApp();
    const files = writeConversations(app.home, 30, 5);
    const first = await backfill(app, '--json');
    assert.equal(first.code, 1, first.stderr + first.stdout); // the damaged lines are rejected
    const r1 = JSON.parse(first.stdout);
    assert.equal(r1.outcome, 'complete');
    assert.match(r1.file, /schema hist$/);
    assert.deepEqual(r1.items, { listed: 30, unchanged: 0, new: 30, resumed: 0, grown: 0, changed: 0, retried: 0, failed: 0, missing: 0 });
    assert.deepEqual(r1.tables.convs, { inserted: 30, alreadyPresent: 0, updated: 0, rejected: 0 });
    assert.deepEqual(r1.tables.msgs, { inserted: 150, alreadyPresent: 0, updated: 0, rejected: 0 });
    const rejects = fs
      .readFileSync(r1.rejectsFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(rejects.some((x) => String(x.file).endsWith('c00003.jsonl') && x.line === 7 && /malformed JSON/.test(x.reason)));
    assert.ok(rejects.some((x) => String(x.file).endsWith('c00009.jsonl') && x.reason === 'invalid UTF-8'));
    const state = await jobState(app);
    assert.equal(state?.status, 'complete');
    assert.equal(Number(state?.rows_done), 30 + 150 * 2);
    assert.equal(state?.lease_owner, null);
    assert.equal(state?.rejects_file, `${os.hostname()}:${r1.rejectsFile}`, 'a server job runs from many machines: the file is named with its host');

    const status = await cliWith({ cwd: app.dir, env: app.env }, 'backfill', '--status', '--json');
    const entry = JSON.parse(status.stdout).jobs.find((j: { job: string }) => j.job === 'hist');
    assert.equal(entry.store, 'hist', status.stdout);
    assert.equal(entry.phase, 'complete');
    assert.equal(entry.rejected, r1.rejected);
    const doctor = JSON.parse((await cliWith({ cwd: app.dir, env: app.env }, 'doctor', '--json')).stdout);
    assert.equal(doctor.checks['hist.backfill']?.status, 'warn', JSON.stringify(doctor.checks['hist.backfill']));
    assert.match(doctor.checks['hist.backfill'].details.hist, /^complete: .*rejected line/);

    const again = await backfill(app, '--json');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).outcome, 'already-complete');

    fs.appendFileSync(files[0]!, JSON.stringify({ text: 'late message', tokens: 5 }) + '\n');
    const refresh = await backfill(app, '--refresh', '--json');
    const r3 = JSON.parse(refresh.stdout);
    assert.equal(r3.items.grown, 1, refresh.stdout);
    assert.deepEqual(r3.tables.msgs, { inserted: 1, alreadyPresent: 0, updated: 0, rejected: 0 });
    const [count] = await pgQuery<{ n: number }>(app.url, 'SELECT count(*)::int AS n FROM hist.tokens');
    assert.equal(count!.n, 151, 'no line was read twice');
    // A snapshot carries the job's bookkeeping with the rows it describes, as on SQLite, so a restored store
    // (on either engine) does not read its files again and double the keyless tokens.
    const out = path.join(app.dir, 'snap');
    const exported = await cliWith({ cwd: app.dir, env: app.env }, 'export', '--store', 'hist', '--out', out, '--json');
    assert.equal(exported.code, 0, exported.stderr);
    const tables = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')).tables.map((t: { name: string }) => t.name);
    assert.deepEqual(tables.sort(), ['cairn_backfill_items', 'cairn_backfill_state', 'convs', 'msgs', 'tokens']);
    const other = await historyApp();
    const restored = await cliWith({ cwd: other.dir, env: other.env }, 'restore', '--from', out, '--store', 'hist', '--json');
    assert.equal(restored.code, 0, restored.stderr + restored.stdout);
    writeConversations(other.home, 30, 5);
    fs.appendFileSync(path.join(other.home, path.relative(app.home, files[0]!)), JSON.stringify({ text: 'late message', tokens: 5 }) + '\n');
    const after = JSON.parse((await backfill(other, '--json')).stdout);
    assert.equal(after.outcome, 'already-complete', 'the restored state says the job is done');
    assert.deepEqual(await dumpRows(other), await dumpRows(app));
  });

  it('a job held by a live lease elsewhere is busy, naming the holder; two runs at once: exactly one works', async () => {
    const app = await historyApp(jobSource({ batchSize: 2, batchRows: 40 }));
    writeConversations(app.home, 40, 20, { damage: false });
    // Another machine's run: a host that is not this one, its lease unexpired.
    assert.equal((await backfill(app, '--json')).code, 0);
    await pgQuery(
      app.url,
      "UPDATE hist.cairn_backfill_state SET status = 'running', lease_owner = 'build-box-7:4242:beef', lease_expires_at = $1 WHERE job = 'hist'",
      [Date.now() + 60_000],
    );
    const held = await backfill(app, '--refresh', '--json');
    const busy = JSON.parse(held.stdout);
    assert.equal(busy.outcome, 'busy', held.stdout);
    assert.equal(busy.holder.owner, 'build-box-7:4242:beef');
    assert.notEqual(held.code, 0, 'a run that did nothing is not a success');

    const fresh = await historyApp(jobSource({ batchSize: 2, batchRows: 40 }));
    writeConversations(fresh.home, 40, 20, { damage: false });
    const [a, b] = await Promise.all([backfill(fresh, '--json'), backfill(fresh, '--json')]);
    const outcomes = [JSON.parse(a.stdout).outcome, JSON.parse(b.stdout).outcome].sort();
    assert.deepEqual(outcomes, ['busy', 'complete'], a.stdout + b.stdout);
    const [count] = await pgQuery<{ n: number }>(fresh.url, 'SELECT count(*)::int AS n FROM hist.tokens');
    assert.equal(count!.n, 40 * 20);
  });

  it(`SIGKILLed ${KILLS} times at random points, each re-run resumes; the end state equals an uninterrupted run's`, { timeout: 600_000 }, async () => {
    const job = jobSource({ batchSize: 3, batchRows: 150 });
    const reference = await historyApp(job);
    writeConversations(reference.home, 240, 120);
    const clean = await backfill(reference, '--json');
    assert.equal(clean.code, 1, clean.stderr);
    const expected = await dumpRows(reference);
    const expectedState = await jobState(reference);
    const expectedRejects = normalizedRejects(path.join(reference.home, 'backfill-hist.rejects.jsonl'), reference.home);

    const app = await historyApp(job);
    writeConversations(app.home, 240, 120);
    const random = seeded(19);
    let kills = 0;
    let runs = 0;
    while (kills < KILLS && runs < KILLS * 3) {
      runs += 1;
      const state = await jobState(app);
      if (state?.status === 'complete') {
        // Done before enough kills: start over on a fresh schema with the same files.
        await pgQuery(app.url, 'TRUNCATE hist.msgs, hist.tokens, hist.convs, hist.cairn_backfill_items, hist.cairn_backfill_state');
        fs.rmSync(path.join(app.home, 'backfill-hist.rejects.jsonl'), { force: true });
      }
      if (await runAndKill(app, random)) kills += 1;
    }
    assert.ok(kills >= KILLS, `only ${kills} kills landed in ${runs} runs`);
    const last = await backfill(app, '--json');
    assert.ok(last.code === 0 || last.code === 1, last.stderr);
    assert.deepEqual(await dumpRows(app), expected);
    const state = await jobState(app);
    for (const key of ['status', 'items_done', 'items_failed', 'rows_done', 'rejected', 'last_watermark']) {
      assert.deepEqual(state?.[key], expectedState?.[key], key);
    }
    assert.deepEqual(normalizedRejects(path.join(app.home, 'backfill-hist.rejects.jsonl'), app.home), expectedRejects);
  });
});

/** Starts a run and SIGKILLs it: after a random delay, or just after its next checkpoint plus jitter. False if it finished first. */
async function runAndKill(app: PgHistoryApp, random: () => number): Promise<boolean> {
  const child = spawn(process.execPath, [BIN, 'backfill', 'hist'], { cwd: app.dir, env: app.env, stdio: 'ignore' });
  let exited = false;
  const closed = new Promise<void>((resolve) => child.on('close', () => ((exited = true), resolve())));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  if (random() < 0.5) {
    await sleep(100 + random() * 700); // anywhere: loading, connecting, taking the lease, listing, mid-batch
  } else {
    const stamp = async (): Promise<string> => String((await jobState(app))?.updated_at ?? '');
    const before = await stamp();
    const deadline = Date.now() + 5000;
    while (!exited && Date.now() < deadline && (await stamp()) === before) await sleep(2);
    await sleep(random() * 15); // just after a checkpoint: inside the next batch
  }
  if (exited) return false;
  child.kill('SIGKILL');
  await closed;
  return true;
}
