import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { holdInChild } from '../doctor/helpers.js';
import { BIN, cli, scratchApp } from '../helpers.js';
import { count, sha256 } from './helpers.js';

const BASELINE =
  "CREATE TABLE threads (id TEXT PRIMARY KEY, title TEXT, created_at TEXT NOT NULL DEFAULT '');\nCREATE TABLE turns (id INTEGER PRIMARY KEY, thread_id TEXT NOT NULL REFERENCES threads (id), body TEXT);\n";

/**
 * An app that moved to a baseline (version 11, then 0012) and a database
 * from before it: history at version 3, whose files are gone, so migrate
 * refuses it as a legacy chain.
 */
function legacyApp(rows: number, options: { wal?: boolean } = {}): { dir: string; file: string } {
  const { dir } = scratchApp(
    { state: { '0012_after.sql': 'CREATE TABLE after_baseline (x);\nCREATE INDEX turns_by_thread ON turns (thread_id);\n' } },
    { state: { baseline: { file: 'baseline.sql', version: 11 } } },
  );
  fs.writeFileSync(path.join(dir, 'baseline.sql'), BASELINE);
  const file = path.join(dir, 'state.sqlite');
  const db = new Database(file);
  if (options.wal) db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE cairn_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL, duration_ms INTEGER NOT NULL, additive INTEGER NOT NULL, kind TEXT NOT NULL DEFAULT 'migration');
    INSERT INTO cairn_migrations VALUES (1, '0001_init.sql', 'a', 't', 0, 1, 'migration'), (3, '0003_turns.sql', 'b', 't', 0, 1, 'migration');
    CREATE TABLE threads (id TEXT PRIMARY KEY, title TEXT);
    CREATE TABLE turns (id INTEGER PRIMARY KEY, thread_id TEXT NOT NULL REFERENCES threads (id), body TEXT);
  `);
  const thread = db.prepare('INSERT INTO threads (id, title) VALUES (?, ?)');
  const turn = db.prepare('INSERT INTO turns (thread_id, body) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) {
      if (i % 10 === 0) thread.run(`t${i / 10}`, `thread ${i / 10} ✓`);
      turn.run(`t${Math.floor(i / 10)}`, `turn ${i}: ${'words '.repeat(8)}`);
    }
  })();
  db.close();
  return { dir, file };
}

async function statusOf(dir: string): Promise<{ current: number | null; legacyChain: boolean; pending: unknown[] }> {
  const r = await cli(dir, 'status', '--json');
  return (JSON.parse(r.stdout) as { stores: { current: number | null; legacyChain: boolean; pending: unknown[] }[] }).stores[0] as never;
}

describe('cutover', () => {
  it('moves a legacy chain to the current schema with every row, keeps the old file untouched, and migrate works again', async () => {
    const { dir, file } = legacyApp(2_000);
    const before = sha256(file);
    assert.equal((await cli(dir, 'migrate')).code, 2, 'the legacy chain is refused');
    assert.equal((await statusOf(dir)).legacyChain, true);

    const dry = await cli(dir, 'cutover', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(sha256(file), before, 'a dry run changes nothing');
    assert.deepEqual(
      fs.readdirSync(dir).filter((n) => n.includes('cutover')),
      [],
      'and keeps nothing',
    );

    const r = await cli(dir, 'cutover', '--json');
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { previous: string; snapshot: string; next: string[]; restore: { rows: number } };
    assert.equal(result.restore.rows, 2_000 + 200);
    assert.equal(sha256(result.previous), before, 'the old file is kept as it was');
    assert.match(path.basename(result.previous), /^state\.sqlite\.pre-cutover-\d{8}T\d{9}Z$/);
    assert.match(result.next.join('\n'), /Start the app/);

    const status = await statusOf(dir);
    assert.equal(status.current, 12);
    assert.equal(status.legacyChain, false);
    assert.deepEqual(status.pending, []);
    assert.equal(count(file, 'turns'), 2_000);
    assert.equal(count(file, 'threads'), 200);
    const db = new Database(file, { readonly: true });
    assert.equal(
      (db.prepare("SELECT created_at FROM threads WHERE id = 't0'").get() as { created_at: string }).created_at,
      '',
      'the new column took its default',
    );
    assert.equal((db.prepare("SELECT title FROM threads WHERE id = 't7'").get() as { title: string }).title, 'thread 7 ✓');
    db.close();
    assert.equal((await cli(dir, 'migrate')).code, 0);
    const verify = await cli(dir, 'verify', '--snapshot', result.snapshot);
    assert.equal(verify.code, 0, verify.stdout);
  });

  it('is refused while another process writes to the store, and changes nothing', async () => {
    const { dir, file } = legacyApp(100, { wal: true });
    const before = sha256(file);
    const writer = await holdInChild(`const db = new Database(${JSON.stringify(file)}); db.exec('BEGIN IMMEDIATE');`);
    try {
      const r = await cli(dir, 'cutover');
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`state\\.sqlite is in use: it is open in pid ${writer.pid} `));
    } finally {
      writer.kill('SIGKILL');
    }
    assert.equal(sha256(file), before);
    assert.deepEqual(
      fs.readdirSync(dir).filter((n) => n.includes('cutover')),
      [],
    );
  });

  for (const wal of [true, false]) {
    it(`is refused while the app holds an idle connection (${wal ? 'WAL' : 'rollback journal'}), so the app's next write is never lost`, async () => {
      const { dir, file } = legacyApp(100, { wal });
      const before = sha256(file);
      // The app opened the store, read, and sits between writes; on a signal it writes one row and reports back.
      const app = await holdInChild(
        `const db = new Database(${JSON.stringify(file)}); db.prepare('SELECT count(*) FROM turns').get();
         process.on('SIGUSR2', () => { db.prepare("INSERT INTO turns (thread_id, body) VALUES ('t0', 'after')").run(); console.log('WROTE'); });`,
      );
      try {
        const r = await cli(dir, 'cutover');
        assert.equal(r.code, 2, r.stdout);
        assert.match(r.stderr, new RegExp(`state\\.sqlite is in use: it is open in pid ${app.pid}`));
        assert.equal(sha256(file), before, 'nothing changed');
        const wrote = new Promise<void>((resolve) => app.stdout?.on('data', (d: Buffer) => d.toString().includes('WROTE') && resolve()));
        app.kill('SIGUSR2');
        await wrote;
      } finally {
        app.kill('SIGKILL');
      }
      const db = new Database(file, { readonly: true });
      assert.equal(db.prepare("SELECT count(*) FROM turns WHERE body = 'after'").pluck().get(), 1, "the app's write is in the live file");
      db.close();
      assert.deepEqual(
        fs.readdirSync(dir).filter((n) => n.includes('cutover')),
        [],
      );
    });
  }

  it('a connection in this process counts too: the library refuses a cutover of a store the app still has open', async () => {
    const { dir, file } = legacyApp(50, { wal: true });
    const own = new Database(file);
    own.prepare('SELECT 1 FROM turns').get();
    try {
      const r = await cli(dir, 'cutover');
      assert.equal(r.code, 2);
      assert.match(r.stderr, /is in use: (it is open in pid \d+ \(this process\)|another connection has it open)/);
    } finally {
      own.close();
    }
    assert.equal((await cli(dir, 'cutover')).code, 0, 'once it is closed, the cutover runs');
  });

  it('killed at any point, the live file is the whole old database or the whole new one, and a re-run finishes', async () => {
    const rows = 60_000;
    const { dir, file } = legacyApp(rows, { wal: true });
    const threads = rows / 10;
    const started = performance.now();
    assert.equal((await cli(dir, 'cutover', '--dry-run')).code, 0);
    const duration = performance.now() - started;

    // Kills as each phase starts, a few milliseconds into the swap, then at seeded random moments across a whole run.
    let seed = Number(process.env.CAIRN_TORTURE_SEED ?? 7);
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const kills: ({ phase: string; delayMs: number } | { afterMs: number })[] = [
      ...['export', 'restore', 'verify', 'swap'].map((phase) => ({ phase, delayMs: 0 })),
      ...[1, 3, 8, 20].map((delayMs) => ({ phase: 'swap', delayMs })),
      ...Array.from({ length: 6 }, () => ({ afterMs: Math.round(random() * duration * 1.5) })),
    ];
    const outcomes: string[] = [];
    for (const kill of kills) {
      await killedCutover(dir, kill);
      // Whatever the moment, the live path is a whole database with every row.
      const db = new Database(file, { readonly: true });
      try {
        assert.equal(db.pragma('quick_check', { simple: true }), 'ok', JSON.stringify(kill));
        assert.equal((db.prepare('SELECT count(*) AS n FROM turns').get() as { n: number }).n, rows, JSON.stringify(kill));
        assert.equal((db.prepare('SELECT count(*) AS n FROM threads').get() as { n: number }).n, threads, JSON.stringify(kill));
        const version = (db.prepare('SELECT max(version) AS v FROM cairn_migrations').get() as { v: number }).v;
        assert.ok(version === 3 || version === 12, `version ${version}`);
        outcomes.push(version === 3 ? 'old' : 'new');
      } finally {
        db.close();
      }
    }
    const final = await cli(dir, 'cutover');
    assert.equal(final.code, 0, final.stderr);
    assert.equal(count(file, 'turns'), rows);
    assert.equal((await statusOf(dir)).current, 12);
    const names = fs.readdirSync(dir);
    assert.deepEqual(
      names.filter((n) => n.endsWith('.new') || n.includes('.new-')),
      [],
      'no half-built file left behind',
    );
    // Every kept old file is a whole database too (a swap killed before its rename keeps none).
    for (const kept of names.filter((n) => n.includes('.pre-cutover-') && !/-(wal|shm)$/.test(n))) {
      assert.equal(count(path.join(dir, kept), 'turns'), rows, kept);
    }
    assert.ok(outcomes.includes('old'), `kills before the swap leave the old file: ${outcomes.join(', ')}`);
    // Every snapshot folder left is one a swap refers to; the killed runs' folders are gone.
    const stamps = (infix: string) =>
      names.filter((n) => n.startsWith(`state.sqlite${infix}`) && !/-(wal|shm)$/.test(n)).map((n) => n.slice(`state.sqlite${infix}`.length));
    assert.deepEqual(stamps('.cutover-').sort(), stamps('.pre-cutover-').sort());
  });

  it('a killed cutover leaves leftovers doctor counts in bytes; the next cutover removes them first', async () => {
    const { dir } = legacyApp(20_000, { wal: true });
    await killedCutover(dir, { phase: 'restore', delayMs: 0 });
    const leftovers = fs.readdirSync(dir).filter((n) => n.includes('.cutover-'));
    assert.ok(leftovers.length > 0, 'the kill left its snapshot folder');
    const doctor = JSON.parse((await cli(dir, 'doctor', '--json')).stdout) as {
      checks: Record<string, { status: string; summary: string; details: Record<string, unknown>; remedy: string }>;
    };
    const backups = doctor.checks['state.backups'];
    assert.equal(backups?.status, 'warn');
    assert.match(backups?.summary ?? '', /leftovers? of cutovers that never swapped, \d/);
    assert.ok(Number(backups?.details.leftoverBytes) > 100_000, JSON.stringify(backups?.details));
    assert.match(backups?.remedy ?? '', /rm -r .*state\.sqlite\.cutover-/);

    const r = await cli(dir, 'cutover', '--json');
    assert.equal(r.code, 0, r.stderr);
    const { snapshot } = JSON.parse(r.stdout) as { snapshot: string };
    assert.deepEqual(
      fs.readdirSync(dir).filter((n) => n.includes('.cutover-')),
      [path.basename(snapshot)],
      'only the finished run’s snapshot is left',
    );
  });

  it('a cutover that fails before its swap removes what it wrote', async () => {
    const { dir, file } = legacyApp(200, { wal: true });
    // The new schema lacks a column the rows carry: the restore refuses, and the run must not leave its snapshot behind.
    fs.writeFileSync(path.join(dir, 'baseline.sql'), BASELINE.replace(', body TEXT', ''));
    const r = await cli(dir, 'cutover');
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(
      fs.readdirSync(dir).filter((n) => n.includes('cutover')),
      [],
    );
    assert.ok(fs.existsSync(file));
  });
});

/** Runs the real bin and SIGKILLs it as a phase starts or after a delay; resolves once it is gone. */
function killedCutover(dir: string, kill: { phase: string; delayMs: number } | { afterMs: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'cutover'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let timer = 'afterMs' in kill ? setTimeout(() => child.kill('SIGKILL'), kill.afterMs) : null;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if ('phase' in kill && !timer && stderr.includes(`cutover: ${kill.phase} `)) {
        if (kill.delayMs === 0) child.kill('SIGKILL');
        else timer = setTimeout(() => child.kill('SIGKILL'), kill.delayMs);
      }
    });
    child.on('error', reject);
    child.on('close', () => {
      if (timer) clearTimeout(timer);
      resolve();
    });
  });
}
