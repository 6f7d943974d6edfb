import { execFileSync, spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { backfillReadiness, defineBackfill, loadConfig, openDatabase, runBackfill } from '../../dist/index.js';
import { startBackfill } from '../../dist/backfill/index.js';
import type { MapFn } from '../../dist/index.js';
import { cli, scratchApp, spawnCli } from '../helpers.js';
import { DIST_INDEX, dump, readRejects } from '../importers/helpers.js';
import { conversation, historyApp, jobSource, jobState, writeConversations, type HistoryApp } from './helpers.js';

async function ready(app: HistoryApp) {
  const m = await cli(app.dir, 'migrate');
  assert.equal(m.code, 0, m.stderr);
  return loadConfig({ cwd: app.dir });
}

function count(db: string, sql: string): number {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare(sql).pluck().get() as number;
  } finally {
    conn.close();
  }
}

describe('cairn backfill: bad input', () => {
  it('bad lines go to the rejects file with item, line, reason and raw text; an unreadable item is recorded and skipped; the job completes', async () => {
    const app = historyApp(jobSource({ items: "() => ['convs/d03/c00003.jsonl', 'convs/d05/c00005.jsonl', 'convs/d02/c00009.jsonl', 'convs/gone.jsonl']" }));
    writeConversations(app.home, 30, 5);
    await ready(app);
    const r = await cli(app.dir, 'backfill', 'hist', '--json');
    assert.equal(r.code, 1, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.outcome, 'complete');
    assert.equal(result.items.failed, 1);
    const rejects = readRejects(path.join(app.home, 'backfill-hist.rejects.jsonl'));
    const byReason = (text: string) => rejects.filter((x) => String(x.reason).includes(text));
    assert.equal(byReason('malformed JSON').length, 1);
    assert.equal(byReason('map threw').length, 1);
    assert.equal(byReason('could not be read').length, 1);
    assert.equal(byReason('invalid UTF-8').length, 1);
    assert.equal(rejects.length, 4);
    assert.match(String(byReason('could not be read')[0]!.file), /gone\.jsonl$/);
    const malformed = byReason('malformed JSON')[0]!;
    assert.equal(malformed.line, 7);
    assert.equal(malformed.raw, '{"text": "cut in the mid');
    assert.equal(malformed.source, 'hist');
    const state = jobState(app.db)!;
    assert.equal(state.status, 'complete');
    assert.equal(state.items_failed, 1);
    assert.equal(state.rejected, rejects.length);
    const status = await cli(app.dir, 'backfill', '--status');
    assert.match(status.stdout, /1 failed/);
    assert.match(status.stdout, /gone\.jsonl/);
  });

  it(
    'a dangling link or a FIFO the glob matches is counted as a failed item, reported, never opened, and retried by a plain re-run',
    { timeout: 60_000 },
    async () => {
      const app = historyApp();
      writeConversations(app.home, 6, 3, { damage: false });
      fs.symlinkSync(path.join(app.home, 'nowhere.jsonl'), path.join(app.home, 'convs', 'd00', 'c90000.jsonl'));
      execFileSync('mkfifo', [path.join(app.home, 'convs', 'd01', 'c90001.jsonl')]);
      await ready(app);
      const r = await spawnCli(app.dir, ['backfill', 'hist', '--json']);
      assert.equal(r.code, 1, r.stderr);
      const result = JSON.parse(r.stdout);
      assert.equal(result.items.failed, 2, JSON.stringify(result.items));
      const reasons = readRejects(path.join(app.home, 'backfill-hist.rejects.jsonl')).map((x) => `${path.basename(String(x.file))}: ${String(x.reason)}`);
      assert.deepEqual(reasons.sort(), [
        'c90000.jsonl: the item could not be read (skipped; a later run retries it): a dangling link, not a regular file',
        'c90001.jsonl: the item could not be read (skipped; a later run retries it): a FIFO, not a regular file',
      ]);
      // The link now leads somewhere: a plain re-run (no --refresh) reads it.
      fs.writeFileSync(path.join(app.home, 'nowhere.jsonl'), conversation(90000, 2));
      const again = JSON.parse((await spawnCli(app.dir, ['backfill', 'hist', '--json'])).stdout);
      assert.equal(again.items.retried, 2, JSON.stringify(again.items));
      assert.equal(again.items.failed, 1, 'the FIFO is still not read');
      assert.equal(count(app.db, 'SELECT count(*) FROM convs'), 7);
    },
  );

  it('an item that is a link out of the history folder is not read: a failed item naming where it leads', async () => {
    const app = historyApp();
    writeConversations(app.home, 3, 2, { damage: false });
    const outside = path.join(app.dir, 'private.jsonl');
    fs.writeFileSync(outside, JSON.stringify({ head: true, title: 'not yours' }) + '\n');
    fs.symlinkSync(outside, path.join(app.home, 'convs', 'd00', 'c90002.jsonl'));
    await ready(app);
    const r = await spawnCli(app.dir, ['backfill', 'hist', '--json']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(JSON.parse(r.stdout).items.failed, 1);
    const [reject] = readRejects(path.join(app.home, 'backfill-hist.rejects.jsonl'));
    assert.match(String(reject?.reason), /leads outside the history folder .* not read/);
    assert.equal(count(app.db, "SELECT count(*) FROM convs WHERE title = 'not yours'"), 0);
  });

  it('invalid UTF-8 keeps its bytes; a last line cut short is rejected but re-read once the file grows (refresh)', async () => {
    const app = historyApp();
    const [file] = writeConversations(app.home, 10, 3, { damage: false });
    fs.appendFileSync(file!, Buffer.from([0x7b, 0x22, 0x74, 0xff, 0x22, 0x7d, 0x0a]));
    fs.appendFileSync(file!, '{"text": "half a li');
    await ready(app);
    const first = await cli(app.dir, 'backfill', 'hist', '--json');
    assert.equal(first.code, 1);
    let rejects = readRejects(path.join(app.home, 'backfill-hist.rejects.jsonl'));
    assert.deepEqual(
      rejects.map((x) => [x.line, String(x.reason).split(' ')[0]]),
      [
        [5, 'invalid'],
        [6, 'truncated'],
      ],
    );
    assert.equal(Buffer.from(String(rejects[0]!.rawBase64), 'base64').toString('hex'), '7b2274ff227d');
    // The writer finishes the line and goes on.
    fs.appendFileSync(file!, 'ne", "tokens": 5}\n{"text": "and one more", "tokens": 6}\n');
    const again = await cli(app.dir, 'backfill', 'hist', '--refresh', '--json');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).items.grown, 1);
    assert.deepEqual(
      (
        new Database(app.db, { readonly: true }).prepare("SELECT seq, body FROM msgs WHERE conv_id = 'c00000' AND seq > 4 ORDER BY seq").all() as {
          seq: number;
          body: string;
        }[]
      ).map((r) => [r.seq, r.body]),
      [
        [6, 'half a line'],
        [7, 'and one more'],
      ],
    );
    rejects = readRejects(path.join(app.home, 'backfill-hist.rejects.jsonl'));
    assert.equal(rejects.length, 2, 'nothing new rejected');
  });
});

describe('cairn backfill: resuming and refreshing', () => {
  it('a complete job costs one read: its items are not even listed', async () => {
    const app = historyApp();
    writeConversations(app.home, 5, 2, { damage: false });
    const registry = await ready(app);
    let listed = 0;
    const job = defineBackfill({
      name: 'counted',
      target: 'hist',
      items: () => {
        listed += 1;
        return [];
      },
      map: () => null,
    });
    assert.equal((await runBackfill(registry, { job })).outcome, 'complete');
    assert.equal(listed, 1);
    // Not even the migrations are looked at: with the folder gone, a complete job is still just skipped.
    fs.renameSync(path.join(app.dir, 'migrations'), path.join(app.dir, 'moved'));
    const again = await runBackfill(registry, { job });
    assert.equal(again.outcome, 'already-complete');
    assert.equal(listed, 1);
    await assert.rejects(runBackfill(registry, { job, refresh: true }), /migrations/);
  });

  it('--refresh finds new items in any order, continues grown ones from their offset, re-reads rewritten ones, and doubles nothing', async () => {
    const app = historyApp();
    const files = writeConversations(app.home, 20, 10, { damage: false, first: 10 });
    await ready(app);
    assert.equal((await cli(app.dir, 'backfill', 'hist')).code, 0);
    assert.equal(count(app.db, 'SELECT count(*) FROM tokens'), 200);

    writeConversations(app.home, 3, 10, { damage: false, first: 0 }); // new, sorting before the watermark
    fs.appendFileSync(files[4]!, JSON.stringify({ text: 'later', tokens: 1 }) + '\n'); // grown
    fs.writeFileSync(files[7]!, conversation(17, 12).replace('conversation 17', 'renamed 17')); // rewritten: a new head line, two more lines
    const plain = await cli(app.dir, 'backfill', 'hist', '--json');
    assert.equal(JSON.parse(plain.stdout).outcome, 'already-complete', 'without --refresh a complete job is not re-listed');

    const refreshed = await cli(app.dir, 'backfill', 'hist', '--refresh', '--json');
    assert.equal(refreshed.code, 0, refreshed.stderr);
    const items = JSON.parse(refreshed.stdout).items;
    assert.deepEqual([items.new, items.grown, items.changed, items.unchanged], [3, 1, 1, 18]);
    // 200 + 30 new + 1 appended + 2 new lines of the rewritten file; the keyless table proves no line was read twice… except the rewritten file, read whole:
    assert.equal(count(app.db, 'SELECT count(*) FROM msgs'), 233);
    assert.equal(count(app.db, "SELECT count(*) FROM tokens WHERE conv_id <> 'c00017'"), 221);
    assert.equal(count(app.db, 'SELECT count(*) FROM convs'), 23);
    const state = jobState(app.db)!;
    assert.equal(state.items_done, 23);
    assert.equal(state.rows_done, 23 + 233 + 221 + 12);

    const third = await cli(app.dir, 'backfill', 'hist', '--refresh', '--json');
    assert.deepEqual(JSON.parse(third.stdout).tables, {}, 'nothing changed: nothing read');
  });

  it('stop() ends after a batch commits; the job reads as pending and the next run finishes with the same rows', async () => {
    const reference = historyApp(jobSource({ batchSize: 2 }));
    writeConversations(reference.home, 40, 20);
    assert.equal((await runBackfill(await ready(reference), { job: 'hist' })).outcome, 'complete');

    const app = historyApp(jobSource({ batchSize: 2 }));
    writeConversations(app.home, 40, 20);
    const registry = await ready(app);
    // Stopped from the progress hook once an item is done: polling from a timer lost the race to a fast run under CI load.
    const midway = new AbortController();
    let reachedMidway!: () => void;
    const done = new Promise<void>((resolve) => (reachedMidway = resolve));
    const run = startBackfill(registry, {
      job: 'hist',
      signal: midway.signal,
      onProgress: (p) => {
        if (p.itemsDone > 0 && !midway.signal.aborted) {
          midway.abort();
          reachedMidway();
        }
      },
    });
    assert.deepEqual(run.progress(), { itemsTotal: 0, itemsDone: 0, rows: 0, rejected: 0 }, 'returns before doing any work');
    assert.equal(jobState(app.db), undefined);
    await done;
    const stopped = await run.stop();
    assert.equal(stopped.outcome, 'stopped');
    const db = openDatabase(app.db);
    const readiness = backfillReadiness(db, 'hist');
    db.close();
    assert.equal(readiness.phase, 'pending');
    assert.equal(readiness.complete, false);
    assert.ok(readiness.itemsDone > 0 && readiness.itemsDone < 40, `stopped midway: ${readiness.itemsDone}`);
    const rest = await runBackfill(registry, { job: 'hist' });
    assert.equal(rest.outcome, 'complete');
    assert.ok(rest.items.unchanged > 0);
    assert.deepEqual(dump(app.db), dump(reference.db));
  });
});

describe('cairn backfill: one process per job', () => {
  it('a live lease held elsewhere refuses (exit 2); once expired it is taken over; a dead holder on this host is taken over at once', async () => {
    const app = historyApp();
    writeConversations(app.home, 4, 2, { damage: false });
    const registry = await ready(app);
    const db = new Database(app.db);
    db.exec(
      `CREATE TABLE cairn_backfill_state (job TEXT PRIMARY KEY, status TEXT NOT NULL, last_watermark TEXT, items_done INTEGER NOT NULL DEFAULT 0, items_failed INTEGER NOT NULL DEFAULT 0,
        rows_done INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0, rejects_file TEXT, rejects_bytes INTEGER NOT NULL DEFAULT 0, started_at TEXT,
        last_success_at TEXT, updated_at TEXT NOT NULL, lease_owner TEXT, lease_expires_at INTEGER)`,
    );
    const expires = Date.now() + 60_000;
    db.prepare(
      "INSERT INTO cairn_backfill_state (job, status, updated_at, lease_owner, lease_expires_at) VALUES ('hist', 'running', 'x', 'other-host:4242:ab', ?)",
    ).run(expires);
    const busy = await cli(app.dir, 'backfill', 'hist');
    assert.equal(busy.code, 2, busy.stdout);
    assert.match(busy.stdout, /another process is running this job \(other-host:4242:ab/);
    const conn = openDatabase(app.db);
    assert.equal(backfillReadiness(conn, 'hist').phase, 'running');
    assert.equal(backfillReadiness(conn, 'hist', expires + 1).phase, 'interrupted');
    conn.close();
    const later = await runBackfill(registry, { job: 'hist', now: () => expires + 1 });
    assert.equal(later.outcome, 'complete', 'an expired lease is taken over');

    // A holder on this host whose process is gone: no need to wait for expiry.
    db.prepare("UPDATE cairn_backfill_state SET status = 'running', lease_owner = ?, lease_expires_at = ? WHERE job = 'hist'").run(
      `${os.hostname()}:999999:cd`,
      Date.now() + 60_000,
    );
    const taken = await runBackfill(registry, { job: 'hist', refresh: true });
    assert.equal(taken.outcome, 'complete');

    // A holder killed but not yet reaped by its parent (a zombie) still answers kill(0); it runs no code, so it holds nothing.
    // sh starts the holder in the background, then becomes a sleep that never waits for it.
    const parent = spawn('sh', ['-c', `${JSON.stringify(process.execPath)} -e "setInterval(() => {}, 1000)" & echo $!; exec sleep 30`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const zombiePid = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    try {
      // Killed before the shell has become `sleep`, the holder would be reaped by the shell (and gone, not a zombie).
      for (let i = 0; i < 500 && fs.readFileSync(`/proc/${parent.pid}/comm`, 'utf8').trim() !== 'sleep'; i++) await new Promise((r) => setTimeout(r, 10));
      process.kill(zombiePid, 'SIGKILL');
      for (let i = 0; i < 200 && !fs.readFileSync(`/proc/${zombiePid}/stat`, 'utf8').includes(') Z '); i++) await new Promise((r) => setTimeout(r, 10));
      assert.match(fs.readFileSync(`/proc/${zombiePid}/stat`, 'utf8'), /\) Z /, 'the holder is a zombie');
      db.prepare("UPDATE cairn_backfill_state SET status = 'running', lease_owner = ?, lease_expires_at = ? WHERE job = 'hist'").run(
        `${os.hostname()}:${zombiePid}:ef`,
        Date.now() + 60_000,
      );
      const afterZombie = await runBackfill(registry, { job: 'hist', refresh: true });
      assert.equal(afterZombie.outcome, 'complete', 'a dead, unreaped holder does not block the job');
    } finally {
      parent.kill('SIGKILL');
      db.close();
    }
  });

  it('two processes started together: each ends cleanly and every row is written once', async () => {
    const app = historyApp(jobSource({ batchSize: 5 }));
    writeConversations(app.home, 120, 40, { damage: false });
    await ready(app);
    const [a, b] = await Promise.all([spawnCli(app.dir, ['backfill', 'hist', '--json']), spawnCli(app.dir, ['backfill', 'hist', '--json'])]);
    const outcomes = [a, b].map((r) => [r.code, JSON.parse(r.stdout).outcome]).sort();
    assert.ok(
      outcomes.some(([code, outcome]) => code === 0 && outcome === 'complete'),
      JSON.stringify(outcomes),
    );
    for (const [code, outcome] of outcomes) assert.ok((code === 2 && outcome === 'busy') || (code === 0 && /complete/.test(outcome)), JSON.stringify(outcomes));
    assert.equal(count(app.db, 'SELECT count(*) FROM tokens'), 120 * 40);
    assert.equal(count(app.db, 'SELECT count(*) FROM convs'), 120);
  });
});

describe('cairn backfill: CLI contract', () => {
  it('refuses a store that is not migrated (exit 2), unless --migrate; usage errors exit 64; --status --json lists declared jobs', async () => {
    const app = historyApp();
    writeConversations(app.home, 3, 2, { damage: false });
    const behind = await cli(app.dir, 'backfill', 'hist');
    assert.equal(behind.code, 2);
    assert.match(behind.stderr, /does not exist yet; run cairn migrate/);
    assert.equal(fs.existsSync(app.db), false, 'no empty DB left behind');
    assert.equal((await cli(app.dir, 'backfill')).code, 64);
    assert.equal((await cli(app.dir, 'backfill', 'nope')).code, 64);
    const before = JSON.parse((await cli(app.dir, 'backfill', '--status', '--json')).stdout);
    assert.deepEqual(
      before.jobs.map((j: { job: string; store: string; phase: string }) => [j.job, j.store, j.phase]),
      [['hist', 'hist', 'pending']],
    );
    const migrated = await cli(app.dir, 'backfill', 'hist', '--migrate', '--json');
    assert.equal(migrated.code, 0, migrated.stderr);
    const after = JSON.parse((await cli(app.dir, 'backfill', '--status', '--json')).stdout);
    assert.equal(after.ok, true);
    assert.equal(after.jobs[0].phase, 'complete');
    assert.equal(after.jobs[0].rowsDone, 3 + 3 * 2 * 2);
  });
});

describe('cairn backfill: a deferred foreign key failing at COMMIT', () => {
  it('the batch is redone row by row: the orphan is rejected, the rest written, and each reject is in the file once', async () => {
    const { dir } = scratchApp({
      d: {
        '0001_kids.sql':
          'CREATE TABLE parents (id TEXT PRIMARY KEY);\nCREATE TABLE kids (id TEXT PRIMARY KEY, parent TEXT REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED);\n',
      },
    });
    const registry = await loadConfig({ cwd: dir });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    fs.writeFileSync(path.join(registry.home, 'a.jsonl'), '{"p":"p1"}\n{"k":"k1","parent":"p1"}\nnot json\n{"k":"k2","parent":"nobody"}\n');
    const job = defineBackfill({
      name: 'kids',
      target: 'd',
      items: '*.jsonl',
      map: ({ value }) => {
        const v = value as { p?: string; k?: string; parent?: string };
        const rows: Record<string, { id?: string; parent?: string }> = v.p ? { parents: { id: v.p } } : { kids: { id: v.k, parent: v.parent } };
        return { rows };
      },
    });
    const result = await runBackfill(registry, { job });
    assert.equal(result.outcome, 'complete');
    const rejects = readRejects(path.join(registry.home, 'backfill-kids.rejects.jsonl'));
    assert.deepEqual(
      rejects.map((x) => [x.line, String(x.reason).split(':')[0]]),
      [
        [3, 'malformed JSON'],
        [4, 'FOREIGN KEY constraint failed'],
      ],
    );
    assert.equal(result.rejected, 2);
    assert.equal(count(path.join(registry.home, 'd.sqlite'), 'SELECT count(*) FROM kids'), 1);
    assert.equal(jobState(path.join(registry.home, 'd.sqlite'), 'kids')!.rejected, 2);
  });
});

describe('one mapper shape for plans and jobs', () => {
  it('a backfill map gets { source, file, line, value } and { home, root } as an import map does; item.file still works', async () => {
    const job = `
import path from 'node:path';
import { defineBackfill } from ${JSON.stringify(DIST_INDEX)};
export default defineBackfill({
  target: 'hist',
  items: 'convs/**/*.jsonl',
  map: ({ source, file, line, value, item }, { home, root, from }) => {
    if (item.file !== file || root !== from || !file.startsWith(root) || home !== root) throw new Error('shape: ' + JSON.stringify({ file, item, root, from, home }));
    const conv = source + ':' + path.relative(root, file);
    if (value.head) return { rows: { convs: { id: conv, title: value.title } } };
    if (value.explode || value.skip) return null;
    return { rows: { msgs: { conv_id: conv, seq: line, body: value.text } } };
  },
});
`;
    const app = historyApp(job);
    writeConversations(app.home, 3, 2, { damage: false });
    await ready(app);
    const r = await cli(app.dir, 'backfill', 'hist', '--json');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const conn = new Database(app.db, { readonly: true });
    const ids = conn.prepare('SELECT id FROM convs ORDER BY id').pluck().all();
    const seqs = conn.prepare("SELECT seq FROM msgs WHERE conv_id = 'hist:convs/d01/c00001.jsonl' ORDER BY seq").pluck().all();
    conn.close();
    assert.deepEqual(ids, ['hist:convs/d00/c00000.jsonl', 'hist:convs/d01/c00001.jsonl', 'hist:convs/d02/c00002.jsonl']);
    assert.deepEqual(seqs, [2, 3]);
  });

  it('one function typed as an import MapFn serves as a backfill map (type-checked here)', () => {
    const shared: MapFn = ({ source, file, line, value }, { root }) => ({
      rows: { t: { source, file: path.relative(root, file), line: line ?? 0, v: JSON.stringify(value) } },
    });
    const job = defineBackfill({ target: 'hist', items: '*.jsonl', map: shared });
    assert.equal(job.map, shared);
  });
});

/** A history app whose store a newer release migrated with `file` (`sql`), which this app does not have. */
async function migratedByNewerRelease(file: string, sql: string): Promise<ReturnType<typeof historyApp>> {
  const app = historyApp();
  writeConversations(app.home, 5, 3, { damage: false });
  const migrations = path.join(app.dir, 'migrations', 'hist');
  fs.writeFileSync(path.join(migrations, file), sql);
  assert.equal((await cli(app.dir, 'migrate')).code, 0);
  fs.rmSync(path.join(migrations, file));
  return app;
}

describe('cairn backfill into a DB a newer release migrated', () => {
  it('only additive unknown versions: runs with a warning, as migrate does; any other: refused before anything is written', async () => {
    const app = await migratedByNewerRelease('0003_extra.sql', 'CREATE TABLE extra (id INTEGER PRIMARY KEY);\n');
    const r = await cli(app.dir, 'backfill', 'hist', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.outcome, 'complete');
    assert.match(result.warnings.join('\n'), /all additive: 3 \(0003_extra\.sql, additive\); backfilling into it anyway/);
    assert.match((await cli(app.dir, 'backfill', 'hist', '--refresh')).stdout, /backfilling into it anyway/);

    const other = await migratedByNewerRelease('0003_drop.sql', 'CREATE TABLE scratch (id INTEGER);\nDROP TABLE scratch;\n');
    const refused = await cli(other.dir, 'backfill', 'hist', '--json');
    assert.equal(refused.code, 2, refused.stdout);
    assert.equal(JSON.parse(refused.stdout).error.code, 'E_NEWER_THAN_APP');
    assert.equal(jobState(other.db), undefined, 'no state was written');
  });
});
