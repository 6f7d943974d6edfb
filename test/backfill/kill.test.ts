import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BIN, spawnCli } from '../helpers.js';
import { dump } from '../importers/helpers.js';
import { historyApp, jobSource, jobState, normalizedRejects, writeConversations, type HistoryApp } from './helpers.js';

// `npm run torture` raises this (CAIRN_TORTURE_KILLS=200).
const KILLS = Number(process.env.CAIRN_TORTURE_KILLS ?? 20);
// Small batches: many checkpoints, so kills land before, inside and after them.
const JOB = jobSource({ batchSize: 3, batchRows: 150 });
const CONVERSATIONS = 240;
const LINES = 120;

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function migrated(): Promise<HistoryApp> {
  const app = historyApp(JOB);
  writeConversations(app.home, CONVERSATIONS, LINES);
  const m = await spawnCli(app.dir, ['migrate']);
  assert.equal(m.code, 0, m.stderr);
  return app;
}

/** Starts a run and SIGKILLs it at a random point: a random delay, or just after its next checkpoint plus jitter. Returns false if it finished first. */
async function runAndKill(app: HistoryApp, random: () => number): Promise<boolean> {
  const child = spawn(process.execPath, [BIN, 'backfill', 'hist'], { cwd: app.dir, stdio: 'ignore' });
  let exited = false;
  const closed = new Promise<void>((resolve) => child.on('close', () => ((exited = true), resolve())));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  if (random() < 0.5) {
    await sleep(40 + random() * 400); // anywhere: loading, taking the lease, listing, mid-batch
  } else {
    const stamp = (): string => String(jobState(app.db)?.updated_at ?? '');
    const before = stamp();
    const deadline = Date.now() + 5000;
    while (!exited && Date.now() < deadline && stamp() === before) await sleep(2);
    await sleep(random() * 15); // just after a checkpoint: inside the next batch
  }
  if (exited) return false;
  child.kill('SIGKILL');
  await closed;
  return true;
}

describe('cairn backfill: killed at random points', () => {
  it(`SIGKILLed ${KILLS} times, each re-run resumes; the end state equals an uninterrupted run's: rows, rejects file, counters`, async () => {
    const reference = await migrated();
    const clean = await spawnCli(reference.dir, ['backfill', 'hist', '--json']);
    assert.equal(clean.code, 1, clean.stderr); // the damaged lines are rejected
    const expected = dump(reference.db);
    assert.equal(expected.convs!.length, CONVERSATIONS);
    assert.equal(expected.tokens!.length, CONVERSATIONS * LINES);
    const expectedRejects = normalizedRejects(path.join(reference.home, 'backfill-hist.rejects.jsonl'), reference.home);
    assert.ok(expectedRejects.length > 0);
    const expectedState = jobState(reference.db)!;

    const seed = Number(process.env.CAIRN_TORTURE_SEED ?? Date.now() % 100000);
    const random = seeded(seed);
    let landed = 0;
    let rounds = 0;
    while (landed < KILLS) {
      // One round: a fresh home killed until a run gets to the end by itself, then compared.
      rounds += 1;
      const app = await migrated();
      let finished = false;
      while (!finished && landed < KILLS) {
        if (await runAndKill(app, random)) landed += 1;
        else finished = true;
      }
      const last = await spawnCli(app.dir, ['backfill', 'hist', '--json']);
      assert.ok(last.code === 0 || last.code === 1, last.stderr);
      const where = `seed ${seed}, round ${rounds}, ${landed} kills so far`;
      assert.deepEqual(dump(app.db), expected, `rows equal an uninterrupted run's (${where})`);
      assert.deepEqual(normalizedRejects(path.join(app.home, 'backfill-hist.rejects.jsonl'), app.home), expectedRejects, `every rejected line once (${where})`);
      const state = jobState(app.db)!;
      for (const key of ['status', 'last_watermark', 'items_done', 'items_failed', 'rows_done', 'rejected']) {
        assert.equal(state[key], expectedState[key], `${key} (${where})`);
      }
      const db = new Database(app.db, { readonly: true });
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      db.close();
    }
    assert.ok(landed >= KILLS);
  });
});
