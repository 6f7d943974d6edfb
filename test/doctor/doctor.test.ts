import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { cli, REPO } from '../helpers.js';
import { changed, corruptPageOf, doctorJson, hashTree, healthyApp, holdInChild, statuses } from './helpers.js';

const STORE_CHECKS = ['file', 'permissions', 'lock', 'journal', 'integrity', 'foreign_keys', 'freelist', 'schema', 'backfill', 'backups'];

test('a healthy app is all ok; the missing store is reported idle and not created', async () => {
  const app = await healthyApp();
  const { code, report } = await doctorJson(app.dir);
  assert.equal(code, 0);
  assert.equal(report.schema, 'cairn.doctor/1');
  assert.equal(report.overallStatus, 'ok');
  for (const store of ['app', 'logs']) for (const name of STORE_CHECKS) assert.ok(report.checks[`${store}.${name}`], `${store}.${name} present`);
  const notOk = Object.values(report.checks).filter((c) => c.status !== 'ok' && c.status !== 'idle');
  assert.deepEqual(notOk, []);
  for (const c of Object.values(report.checks)) {
    assert.deepEqual(Object.keys(c).sort(), ['details', 'id', 'remedy', 'status', 'store', 'summary']);
    assert.equal(c.remedy, null, `${c.id} is ok/idle and has no remedy`);
  }
  assert.equal(report.checks['later.file']?.status, 'idle');
  assert.match(report.checks['later.file']?.summary ?? '', /not created yet/);
  assert.equal(fs.existsSync(app.later), false, 'the doctor never creates a database');
  assert.equal(report.checks['app.schema']?.summary, 'at version 3, up to date');
  assert.equal(report.checks['logs.journal']?.summary, 'delete');

  const human = await cli(app.dir, 'doctor');
  assert.equal(human.code, 0);
  assert.match(human.stdout, /^app {2}/m);
  assert.match(human.stdout, /✓ integrity +quick_check ok/);
  assert.match(human.stdout, /\d+ ok · \d+ idle · 0 warn · 0 fail — passed/);
  assert.ok(!human.stdout.includes('\u001b['), 'NO_COLOR and a non-TTY get no escape codes');
  const summary = await cli(app.dir, 'doctor', '--summary');
  const checkLines = summary.stdout.split('\n').filter((l) => /^[✓⚠✗○] /.test(l));
  assert.equal(checkLines.length, Object.keys(report.checks).length, 'one line per check');
});

test('the doctor leaves every database byte-identical, a WAL full of frames included', async () => {
  const app = await healthyApp();
  // A writer that stays open with uncheckpointed frames in the WAL.
  const writer = await holdInChild(`
    const db = new Database(${JSON.stringify(app.app)});
    db.pragma('wal_autocheckpoint = 0');
    db.exec("INSERT INTO notes (body) SELECT 'wal row ' || value FROM (WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < 300) SELECT value FROM n)");
  `);
  try {
    const before = hashTree(app.dir);
    assert.ok((fs.statSync(`${app.app}-wal`).size ?? 0) > 0, 'the WAL holds frames');
    const { code, report } = await doctorJson(app.dir, '--full');
    assert.equal(code, 0);
    assert.equal(report.checks['app.integrity']?.details.check, 'integrity_check');
    assert.equal(report.checks['app.lock']?.details['write lock'], 'free', 'the probe ran: the WAL was there');
    await cli(app.dir, 'doctor');
    const after = hashTree(app.dir);
    for (const [file, hash] of before) {
      if (file.endsWith('-shm')) continue; // the shared-memory index every reader takes part in; it holds no data
      assert.equal(after.get(file), hash, `${file} unchanged`);
    }
    // The only files a read may add are SQLite's own empty -wal/-shm beside a WAL database that was closed.
    for (const file of after.keys()) {
      if (before.has(file)) continue;
      assert.match(file, /^app\.sqlite-(wal|shm)$|^logs\.sqlite-(wal|shm)$/, `${file} created`);
      if (file.endsWith('-wal')) assert.equal(fs.statSync(path.join(app.dir, file)).size, 0);
    }
    assert.equal(fs.existsSync(app.later), false);
  } finally {
    writer.kill('SIGKILL');
  }
});

test('each kind of damage turns exactly its own check, with a remedy', async (t) => {
  const cases: { name: string; damage: (app: Awaited<ReturnType<typeof healthyApp>>) => Promise<(() => void) | void>; expect: Record<string, string> }[] = [
    {
      name: 'a corrupt page',
      damage: async (app) => corruptPageOf(app.app, 'notes'),
      expect: { 'app.integrity': 'fail' },
    },
    {
      name: 'a foreign-key violation',
      damage: async (app) => {
        const db = new Database(app.app);
        db.pragma('foreign_keys = OFF');
        db.exec("INSERT INTO tasks (project_id, title) VALUES (99, 'orphan')");
        db.close();
      },
      expect: { 'app.foreign_keys': 'fail' },
    },
    {
      name: 'an edited migration',
      damage: async (app) =>
        fs.appendFileSync(path.join(app.dir, 'migrations', 'app', '0002_tasks.sql'), '-- reformatted\nCREATE INDEX tasks_by_title ON tasks (title);\n'),
      expect: { 'app.schema': 'fail' },
    },
    {
      name: 'a DB migrated by a newer release',
      damage: async (app) => {
        const db = new Database(app.app);
        db.exec(
          "INSERT INTO cairn_migrations (version, name, checksum, applied_at, duration_ms, additive) VALUES (4, '0004_drop_notes.sql', 'x', '2026-11-23T00:00:00Z', 1, 0)",
        );
        db.close();
      },
      expect: { 'app.schema': 'fail' },
    },
    {
      name: 'a pending migration',
      damage: async (app) => fs.writeFileSync(path.join(app.dir, 'migrations', 'app', '0004_more.sql'), 'ALTER TABLE notes ADD COLUMN tag TEXT;\n'),
      expect: { 'app.schema': 'warn' },
    },
    {
      name: 'a held write lock',
      damage: async (app) => {
        const child = await holdInChild(`const db = new Database(${JSON.stringify(app.app)}); db.exec('BEGIN IMMEDIATE');`);
        return () => child.kill('SIGKILL');
      },
      expect: { 'app.lock': 'warn' },
    },
    {
      name: 'a held write lock in rollback-journal mode',
      damage: async (app) => {
        const child = await holdInChild(
          `const db = new Database(${JSON.stringify(app.logs)}); db.exec('BEGIN IMMEDIATE'); db.exec("INSERT INTO entries (at, level, message) VALUES ('x', 'info', 'y')");`,
        );
        return () => child.kill('SIGKILL');
      },
      expect: { 'logs.lock': 'warn' },
    },
    {
      name: "cairn's migration lock held",
      damage: async (app) => {
        const child = await holdInChild(
          `const db = new Database(${JSON.stringify(`${app.app}.cairn-lock`)}); db.pragma('journal_mode = DELETE'); db.exec('BEGIN EXCLUSIVE');`,
        );
        return () => child.kill('SIGKILL');
      },
      expect: { 'app.lock': 'warn' },
    },
    {
      name: 'a huge WAL left by a killed writer',
      damage: async (app) => {
        const child = await holdInChild(`
          const db = new Database(${JSON.stringify(app.app)});
          db.pragma('wal_autocheckpoint = 0');
          const insert = db.prepare('INSERT INTO notes (body) VALUES (?)');
          const big = 'w'.repeat(4000);
          db.transaction(() => { for (let i = 0; i < 17000; i++) insert.run(big); })();
        `);
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
        assert.ok(fs.statSync(`${app.app}-wal`).size > 64 * 1024 * 1024);
      },
      expect: { 'app.journal': 'warn' },
    },
    {
      name: 'a world-readable file',
      damage: async (app) => fs.chmodSync(app.app, 0o644),
      expect: { 'app.permissions': 'warn' },
    },
    {
      name: 'a hot journal left by a writer killed mid-transaction',
      damage: async (app) => {
        const child = await holdInChild(`
          const db = new Database(${JSON.stringify(app.logs)});
          db.pragma('cache_size = 1');
          db.exec('BEGIN');
          db.exec("INSERT INTO entries (at, level, message) SELECT 'x', 'info', printf('%.2000c', 'y') FROM (WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 3000) SELECT v FROM n)");
        `);
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
        assert.ok(fs.existsSync(`${app.logs}-journal`));
      },
      // The doctor cannot read past it without writing, so the checks that need a read say so.
      expect: {
        'logs.journal': 'warn',
        'logs.lock': 'idle',
        'logs.integrity': 'idle',
        'logs.foreign_keys': 'idle',
        'logs.freelist': 'idle',
        'logs.schema': 'idle',
      },
    },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const app = await healthyApp();
      const { report: healthy } = await doctorJson(app.dir);
      const undo = await c.damage(app);
      try {
        const before = hashTree(app.dir);
        const { code, report } = await doctorJson(app.dir);
        assert.deepEqual(changed(healthy, report), c.expect);
        const failed = Object.values(c.expect).includes('fail');
        assert.equal(code, failed ? 1 : 0);
        assert.equal(report.overallStatus, failed ? 'fail' : 'warn');
        for (const id of Object.keys(c.expect)) {
          if (c.expect[id] === 'idle') continue;
          assert.ok(report.checks[id]?.remedy, `${id} has a remedy`);
        }
        const after = hashTree(app.dir);
        for (const [file, hash] of before) if (!file.endsWith('-shm')) assert.equal(after.get(file), hash, `${file} unchanged by the doctor`);
      } finally {
        if (typeof undo === 'function') undo();
      }
    });
  }
});

test('a file that is not a database fails the file check and skips the rest', async () => {
  const app = await healthyApp();
  fs.writeFileSync(app.app, 'this is not a database, it is a text file that someone saved over it\n'.repeat(100));
  const { code, report } = await doctorJson(app.dir);
  assert.equal(code, 1);
  assert.equal(report.checks['app.file']?.status, 'fail');
  assert.match(report.checks['app.file']?.summary ?? '', /not a SQLite database/);
  assert.equal(report.checks['app.integrity']?.status, 'idle');
  assert.equal(statuses(report)['logs.integrity'], 'ok', 'the other stores are still checked');
});

test('home-directory paths are shown as ~ in the JSON report', async () => {
  const app = await healthyApp();
  const home = path.dirname(app.dir);
  const r = await cli(app.dir, 'doctor', '--json');
  // Run with HOME set to the temp folder holding the app: every path under it turns into ~.
  const child = execFileSync(process.execPath, [path.resolve('dist/cli/bin.js'), 'doctor', '--json'], {
    cwd: app.dir,
    env: { ...process.env, HOME: home },
  }).toString();
  assert.ok(r.stdout.includes(app.dir));
  assert.ok(!child.includes(app.dir), 'no absolute home path');
  assert.ok(child.includes(`~/${path.basename(app.dir)}/app.sqlite`));
});

test('a file cut short fails integrity once; the checks that cannot read it are skipped, not failed', async () => {
  const app = await healthyApp();
  fs.truncateSync(app.app, fs.statSync(app.app).size - 4096);
  const { code, report } = await doctorJson(app.dir);
  assert.equal(code, 1);
  const app_ = Object.fromEntries(Object.entries(statuses(report)).filter(([id]) => id.startsWith('app.')));
  assert.equal(app_['app.integrity'], 'fail');
  assert.deepEqual(
    Object.entries(app_)
      .filter(([, s]) => s === 'fail')
      .map(([id]) => id),
    ['app.integrity'],
  );
  for (const id of ['app.foreign_keys', 'app.freelist', 'app.schema']) assert.equal(app_[id], 'idle', id);
  assert.match(report.checks['app.integrity']?.remedy ?? '', /\.recover/);
});

test('backfill state: rejected lines and an interrupted run warn, with what to run', async () => {
  const { historyApp, writeConversations } = await import('../backfill/helpers.js');
  const app = historyApp();
  writeConversations(app.home, 12, 5);
  const run = await cli(app.dir, 'backfill', 'hist', '--migrate');
  assert.equal(run.code, 1, run.stderr);
  const { report } = await doctorJson(app.dir);
  const check = report.checks['hist.backfill'];
  assert.equal(check?.status, 'warn');
  assert.match(check?.summary ?? '', /1\/1 complete · \d+ rejected lines/);
  assert.match(check?.remedy ?? '', /cairn backfill hist --refresh/);

  const db = new Database(app.db);
  db.prepare("UPDATE cairn_backfill_state SET status = 'running', rejected = 0, lease_owner = ?, lease_expires_at = ?").run(
    `${os.hostname()}:999999:x`,
    Date.now() + 60_000,
  );
  db.close();
  const again = (await doctorJson(app.dir)).report.checks['hist.backfill'];
  assert.equal(again?.status, 'warn');
  assert.match(again?.summary ?? '', /1 interrupted/);
  assert.match(again?.remedy ?? '', /run `cairn backfill hist`/i);
});

test("the demo app's home, freshly migrated, is all ok", async (t) => {
  // Inside the package, so the job module's `import … from 'cairndb'` resolves to this package, as in the demo.
  fs.mkdirSync(path.join(REPO, 'build'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(REPO, 'build', 'doctor-demo-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const example = path.join(REPO, 'examples', 'agent-app');
  fs.copyFileSync(path.join(example, 'cairn.config.json'), path.join(dir, 'cairn.config.json'));
  for (const sub of ['migrations', 'imports', 'jobs']) fs.cpSync(path.join(example, sub), path.join(dir, sub), { recursive: true });
  const before = await doctorJson(dir);
  assert.equal(before.report.checks['state.file']?.status, 'idle', 'not created yet');
  assert.equal(before.report.checks['state.schema']?.status, 'idle');
  assert.equal(before.code, 0);
  assert.equal((await cli(dir, 'migrate')).code, 0);
  const { code, report } = await doctorJson(dir);
  assert.equal(code, 0);
  assert.equal(report.overallStatus, 'ok');
  assert.equal(report.checks['state.backfill']?.summary, '0/1 complete · 1 not finished');
});
