// Ctrl-C and SIGTERM during long commands, on the real process: the first
// signal stops at the next batch boundary, says what was done and how to go
// on, and the process then ends by the signal (a shell sees 130 / 143); a
// second one ends it at once. Either way what committed stays, and running
// the same command again finishes the job. In a pseudo-terminal the cursor a
// progress bar hid is shown again.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, cli, scratchApp } from '../helpers.js';
import { CHAIN_PLAN, chainApp, chainData } from '../importers/helpers.js';
import { historyApp, jobSource, jobState, writeConversations } from '../backfill/helpers.js';

// The chain plan with a map that takes 2 ms a record, in batches of 40: a run lasts seconds, a batch a tenth of one.
const SLOW_PLAN = CHAIN_PLAN.replace(
  'items: ({ file, value }) =>',
  'items: ({ file, value }) => (Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2), 0) ||',
).replace("target: 'site',", "target: 'site',\n  batchSize: 40,");

const ROOMS = 16;
const PER_ROOM = 50;

/** Rows in `table` of `db` as another reader sees them now; 0 before the file or the table exists. */
function rowCount(db: string, table: string): number {
  try {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (conn.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    } finally {
      conn.close();
    }
  } catch {
    return 0;
  }
}

const items = (db: string): number => rowCount(db, 'items');

/** An app whose store `state` holds `count` notes. */
async function notesStore(count: number): Promise<string> {
  const { dir } = scratchApp({ state: { '0001_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, n INTEGER);\n' } });
  assert.equal((await cli(dir, 'migrate')).code, 0);
  const conn = new Database(path.join(dir, 'state.sqlite'));
  const insert = conn.prepare('INSERT INTO notes (body, n) VALUES (?, ?)');
  conn.transaction(() => {
    for (let i = 0; i < count; i++) insert.run(`note number ${i} with some text to carry`, i);
  })();
  conn.close();
  return dir;
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI, sends `signals` (each after the previous, `gapMs` apart) once `ready()` holds, and resolves when it ends. */
function interrupted(command: string, args: string[], cwd: string, ready: () => boolean, signals: NodeJS.Signals[], gapMs = 0): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      if (!ready()) return;
      clearInterval(poll);
      signals.forEach((signal, i) => setTimeout(() => child.kill(signal), i * gapMs));
    }, 25);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('stopping a long command with a signal', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`import: ${signal} stops after the batch in flight, says how to finish, and the process ends by ${signal}`, async () => {
      const app = chainApp(chainData(ROOMS, PER_ROOM), SLOW_PLAN);
      const json = signal === 'SIGINT';
      const argv = [BIN, 'import', 'chain', '--from', app.legacy, ...(json ? ['--json'] : [])];
      const ended = await interrupted(process.execPath, argv, app.dir, () => items(app.db) > 0, [signal]);
      assert.equal(ended.signal, signal, `ended by the signal: ${ended.stderr}`);
      assert.match(ended.stderr, new RegExp(`cairn: ${signal}: stopping import chain after the current batch; what is written stays`));
      assert.match(ended.stderr, /import chain stopped; what is written stays\. Run the same command again to finish/);
      const partial = items(app.db);
      assert.ok(partial > 0 && partial < ROOMS * PER_ROOM, `stopped part way: ${partial}`);
      if (json) {
        const doc = JSON.parse(ended.stdout);
        assert.equal(doc.stopped, true);
        assert.equal(doc.ok, false);
        assert.equal(doc.tables.items.inserted, partial, 'the report says exactly what is in the DB');
        assert.equal(doc.rejected, 0, 'rows held for a parent are left for the next run, not rejected');
      } else assert.match(ended.stdout, /then stopped before the end of the input/);
      const rerun = await cli(app.dir, 'import', 'chain', '--from', app.legacy);
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.equal(items(app.db), ROOMS * PER_ROOM);
    });
  }

  it('backfill: Ctrl-C stops at a checkpoint, says so, ends by SIGINT; the next run resumes from the checkpoint', async () => {
    // A map taking 2 ms a line, 20 lines a batch: seconds in all, a checkpoint every 40 ms.
    const job = jobSource({ batchSize: 20, batchRows: 20 }).replace(
      'map: ({ item, line, value }) => {',
      'map: ({ item, line, value }) => {\n    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);',
    );
    const app = historyApp(job);
    writeConversations(app.home, 30, 40, { damage: false });
    assert.equal((await cli(app.dir, 'migrate')).code, 0);
    const msgs = (): number => rowCount(app.db, 'msgs');
    const ended = await interrupted(process.execPath, [BIN, 'backfill', 'hist'], app.dir, () => msgs() > 0, ['SIGINT']);
    assert.equal(ended.signal, 'SIGINT', ended.stderr);
    assert.match(ended.stderr, /SIGINT: stopping backfill hist after the current batch/);
    assert.match(ended.stderr, /backfill hist stopped at a checkpoint; run the same command again to resume from it/);
    assert.match(ended.stdout, /stopped before the end \(the next run resumes\)/);
    const partial = msgs();
    assert.ok(partial > 0 && partial < 30 * 40, `stopped part way: ${partial}`);
    assert.notEqual(jobState(app.db)?.state, 'complete');
    const rerun = await cli(app.dir, 'backfill', 'hist');
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.equal(msgs(), 30 * 40, 'every line once: nothing lost, nothing doubled');
  });

  it('restore: SIGTERM rolls the whole restore back, removes the file it created, and ends by SIGTERM', async () => {
    const dir = await notesStore(400_000);
    assert.equal((await cli(dir, 'export', '--out', 'snap')).code, 0);
    const target = path.join(dir, 'copy.sqlite');
    const ended = await interrupted(process.execPath, [BIN, 'restore', '--from', 'snap', '--target', target], dir, () => fs.existsSync(target), ['SIGTERM']);
    assert.equal(ended.signal, 'SIGTERM', ended.stderr);
    assert.match(ended.stderr, /SIGTERM: stopping the restore after the current batch; it is rolled back whole/);
    assert.match(ended.stderr, /the restore stopped before it finished; everything it wrote was rolled back: the target was left as it was/);
    assert.equal(fs.existsSync(target), false, 'the file the restore created is gone again');
    const again = await cli(dir, 'restore', '--from', 'snap', '--target', target);
    assert.equal(again.code, 0, again.stderr);
  });

  it('export: Ctrl-C removes what it wrote (no half snapshot), ends by SIGINT; in a terminal the bar shows rows as it goes', async () => {
    const dir = await notesStore(400_000);
    const out = path.join(dir, 'snap');
    const ended = await interrupted(process.execPath, [BIN, 'export', '--out', 'snap'], dir, () => fs.existsSync(out), ['SIGINT']);
    assert.equal(ended.signal, 'SIGINT', ended.stderr);
    assert.match(ended.stderr, /SIGINT: stopping the export after the current batch; the files it wrote are removed/);
    assert.match(ended.stderr, /the export stopped before it finished; .*its files were removed \(no snapshot was made\)/);
    assert.equal(fs.existsSync(out), false, 'the folder the export made is gone again');
    const command = [process.execPath, BIN, 'export', '--out', 'snap2'].map((a) => `'${a}'`).join(' ');
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
    delete env.CI;
    const tty = await new Promise<string>((resolve, reject) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: dir, env });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.on('error', reject);
      child.on('close', () => resolve(stdout));
    });
    assert.match(tty, /\| notes \| \d+\/400000 rows \| ETA/, 'the bar was drawn while rows were written');
    assert.match(tty, /400,000 rows|400000 rows/);
    assert.ok(tty.lastIndexOf('\u001b[?25h') > tty.lastIndexOf('\u001b[?25l'), 'the cursor is shown again');
  });

  it('a second Ctrl-C ends the process at once, by SIGINT; nothing half-written, and a re-run finishes', async () => {
    const app = chainApp(chainData(ROOMS, PER_ROOM), SLOW_PLAN);
    const ended = await interrupted(
      process.execPath,
      [BIN, 'import', 'chain', '--from', app.legacy],
      app.dir,
      () => items(app.db) > 0,
      ['SIGINT', 'SIGINT'],
      10,
    );
    assert.equal(ended.signal, 'SIGINT');
    assert.match(ended.stderr, /press Ctrl-C again to quit at once/);
    assert.doesNotMatch(ended.stderr, /Run the same command again/, 'it did not wait to report');
    const conn = new Database(app.db);
    assert.equal(conn.prepare('PRAGMA integrity_check').pluck().get(), 'ok');
    conn.close();
    assert.equal((await cli(app.dir, 'import', 'chain', '--from', app.legacy)).code, 0);
    assert.equal(items(app.db), ROOMS * PER_ROOM);
  });

  it('Ctrl-C typed in a terminal: the progress bar is taken down and the cursor shown again', async () => {
    const app = chainApp(chainData(ROOMS, PER_ROOM), SLOW_PLAN);
    const command = [process.execPath, BIN, 'import', 'chain', '--from', app.legacy].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const ended = await new Promise<Ended>((resolve, reject) => {
      const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
      delete env.CI;
      delete env.NO_COLOR;
      const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: app.dir, env });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      const poll = setInterval(() => {
        if (items(app.db) === 0) return;
        clearInterval(poll);
        child.stdin.write('\u0003'); // what the Ctrl-C key sends: the terminal turns it into SIGINT
      }, 25);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearInterval(poll);
        resolve({ code, signal, stdout, stderr: '' });
      });
    });
    const out = ended.stdout;
    assert.match(out, /SIGINT: stopping import chain after the current batch/);
    assert.ok(out.includes('\u001b[?25l'), 'the bar hid the cursor');
    assert.ok(out.lastIndexOf('\u001b[?25h') > out.lastIndexOf('\u001b[?25l'), 'and it is shown again');
    assert.match(out, /Run the same command again to finish/);
  });
});
