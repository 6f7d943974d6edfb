// DB-first reads with the files as fallback (readThrough): the source follows
// the job's recorded state, every fallback is counted with its reason in the
// store, and doctor reports them beside the job's files still on disk.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { flushFallbacks, loadConfig, openDatabase, openStores, readThrough, runDoctor } from '../../dist/index.js';
import { ensureStateTables } from '../../dist/backfill/state.js';
import { cli } from '../helpers.js';
import { historyApp, writeConversations } from './helpers.js';

/** Sets the job's state row directly: what a run in each phase leaves. */
function setState(db: string, values: { status: string; items_done: number; lease_owner?: string | null; lease_expires_at?: number | null }): void {
  // The state tables as a run makes them (both of them), then the job's row as a run in each phase leaves it.
  const conn = openDatabase(db);
  ensureStateTables(conn);
  conn
    .prepare(
      `INSERT INTO cairn_backfill_state (job, status, items_done, rows_done, updated_at, lease_owner, lease_expires_at) VALUES ('hist', ?, ?, ?, 'now', ?, ?)
       ON CONFLICT (job) DO UPDATE SET status = excluded.status, items_done = excluded.items_done, rows_done = excluded.rows_done, lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at`,
    )
    .run(values.status, values.items_done, values.items_done * 10, values.lease_owner ?? null, values.lease_expires_at ?? null);
  conn.close();
}

function counted(db: string): Record<string, number> {
  const conn = new Database(db, { readonly: true });
  try {
    const rows = conn.prepare('SELECT reason, sum(reads) AS n FROM cairn_read_fallbacks GROUP BY reason').all() as { reason: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.reason, r.n]));
  } finally {
    conn.close();
  }
}

describe('readThrough', () => {
  it('reads the files until the job is complete, then the DB; each fallback is counted with its reason', async () => {
    const app = historyApp();
    assert.equal((await cli(app.dir, 'migrate')).code, 0);
    const db = openDatabase(app.db);
    const read = () => readThrough(db, 'hist', { fromDb: () => 'db', fromFiles: () => 'files' });
    const now = Date.now();

    assert.equal(read(), 'files', 'never run');
    setState(app.db, { status: 'pending', items_done: 2 });
    assert.equal(read(), 'files', 'stopped before the end');
    setState(app.db, { status: 'running', items_done: 3, lease_owner: 'host:1:abc', lease_expires_at: now + 60_000 });
    assert.equal(read(), 'files', 'running');
    setState(app.db, { status: 'running', items_done: 3, lease_owner: 'host:1:abc', lease_expires_at: now - 1 });
    assert.equal(read(), 'files', 'killed: the lease ran out');
    setState(app.db, { status: 'complete', items_done: 5 });
    assert.equal(read(), 'db');
    // Not in the DB: a completed job falls back for that read; `missing: 'undefined'` takes the DB's answer.
    assert.equal(readThrough<unknown>(db, 'hist', { fromDb: () => undefined, fromFiles: () => 'files' }), 'files');
    assert.equal(readThrough<unknown>(db, 'hist', { fromDb: () => undefined, fromFiles: () => 'files', missing: 'undefined' }), undefined);
    // A failing DB read is an error, unless the app asks for the files instead (then it is counted with its message).
    const broken = () => db.prepare('SELECT * FROM no_such_table').get();
    assert.throws(() => readThrough<unknown>(db, 'hist', { fromDb: broken, fromFiles: () => 'files' }), /no such table/);
    assert.equal(readThrough<unknown>(db, 'hist', { fromDb: broken, fromFiles: () => 'files', onDbError: 'files' }), 'files');
    // Asynchronous reads: the same rules apply to what the promise resolves to.
    assert.equal(await readThrough<Promise<unknown>>(db, 'hist', { fromDb: async () => undefined, fromFiles: async () => 'files' }), 'files');
    assert.equal(await readThrough(db, 'hist', { fromDb: async () => 'db', fromFiles: async () => 'files' }), 'db');
    await assert.rejects(
      readThrough(db, 'hist', { fromDb: async () => Promise.reject(new Error('disk I/O error')), fromFiles: async () => 'files' }),
      /disk I\/O/,
    );

    flushFallbacks(db);
    db.close();
    assert.deepEqual(counted(app.db), { 'not-started': 1, stopped: 1, running: 1, interrupted: 1, 'not-in-db': 2, 'db-error': 1 });
    // doctor names the failing DB read's message in its remedy.
    const legacy = (await runDoctor(await loadConfig({ cwd: app.dir }), { redactHome: false })).checks.legacy!;
    assert.match(legacy.remedy ?? '', /A read from the DB failed \(no such table: no_such_table\)/);
  });

  it('a read never waits on the count: another process holding the write lock, or the app in its own transaction, delays the write, never the read or the count', async () => {
    const app = historyApp();
    assert.equal((await cli(app.dir, 'migrate')).code, 0);
    const db = openDatabase(app.db, { pragmas: { busy_timeout: 5000 } });
    const writer = new Database(app.db);
    writer.exec('BEGIN IMMEDIATE');
    const started = performance.now();
    assert.equal(readThrough(db, 'hist', { fromDb: () => 'db', fromFiles: () => 'files' }), 'files');
    assert.ok(performance.now() - started < 1000, `the read waited ${performance.now() - started} ms for the lock`);
    writer.exec('ROLLBACK');
    writer.close();
    assert.equal(db.pragmaValue('busy_timeout'), 5000, "the connection's busy timeout is put back");
    // Inside the app's transaction, rolled back: the count is not written there, and not lost.
    db.exec('BEGIN');
    readThrough(db, 'hist', { fromDb: () => 'db', fromFiles: () => 'files', now: Date.now() + 60_000 });
    db.exec('ROLLBACK');
    assert.equal(flushFallbacks(db), 2);
    db.close();
    assert.deepEqual(counted(app.db), { 'not-started': 2 });
  });

  it('an app using openStores gets the counts written when it closes; doctor reports them with the job and its files on disk', async () => {
    const app = historyApp();
    writeConversations(app.home, 6, 4, { damage: false });
    assert.equal((await cli(app.dir, 'migrate')).code, 0);
    const registry = await loadConfig({ cwd: app.dir });
    const stores = await openStores(registry);
    for (let i = 0; i < 12; i++) readThrough(stores.db('hist'), 'hist', { fromDb: () => [], fromFiles: () => ['from a file'] });
    await stores.close();
    assert.deepEqual(counted(app.db), { 'not-started': 12 });

    const report = await runDoctor(registry, { redactHome: false });
    const legacy = report.checks.legacy!;
    assert.equal(legacy.status, 'warn');
    assert.match(
      String(legacy.details['backfill hist']),
      /6 files \(.+\) · 0 backfilled \(0%\) · 6 not yet · 12 reads fell back to files in the last 24 h \(not-started ×12\): backfill hist is pending, 0% done/,
    );
    assert.match(legacy.remedy ?? '', /Run `cairn backfill hist`/);
    const viaCli = await cli(app.dir, 'doctor', '--summary');
    assert.match(viaCli.stdout, /legacy +1 plan or job not finished with the files on disk · 12 reads fell back to files in the last 24 h/);

    // Complete: the files are all in; a rewritten and a grown file are named, with --refresh as the remedy; a new one is "not yet".
    assert.equal((await cli(app.dir, 'backfill', 'hist')).code, 0);
    let after = (await runDoctor(registry, { redactHome: false })).checks.legacy!;
    assert.match(String(after.details['backfill hist']), /6 files \(.+\) · 6 backfilled \(100%\)/);
    const files = fs.readdirSync(path.join(app.home, 'convs'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const [first, second, third] = files.map((e) => path.join(e.parentPath, e.name)).sort();
    // Touched (a copy, a backup tool): the time changed, nothing was added: still backfilled.
    fs.utimesSync(third!, new Date(), new Date(Date.now() + 60_000));
    fs.writeFileSync(first!, JSON.stringify({ head: true, title: 'rewritten' }) + '\n');
    fs.appendFileSync(second!, JSON.stringify({ text: 'one more', tokens: 1 }) + '\n');
    writeConversations(app.home, 1, 2, { damage: false, first: 100 });
    after = (await runDoctor(registry, { redactHome: false })).checks.legacy!;
    assert.equal(after.status, 'warn');
    assert.match(
      String(after.details['backfill hist']),
      /7 files .* 4 backfilled \(57%\) · 1 not yet · 1 grown since · 1 rewritten since \(convs\/d00\/c00000\.jsonl\)/,
    );
    assert.match(after.remedy ?? '', /cairn backfill hist --refresh/);
    assert.equal((await cli(app.dir, 'backfill', 'hist', '--refresh')).code, 0);
    after = (await runDoctor(registry, { redactHome: false })).checks.legacy!;
    assert.match(String(after.details['backfill hist']), /7 files .* 7 backfilled \(100%\)/);
  });
});
