import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BIN, scratchApp, spawnCli } from '../helpers.js';

const FILES = {
  '0001_projects.sql': 'CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n',
  '0002_seed.sql': "INSERT INTO projects (name) SELECT 'p' || value FROM generate_series(1, 2000);\n".replace(
    'generate_series(1, 2000)',
    '(WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < 2000) SELECT value FROM s)',
  ),
  '0003_vacuum.sql': '-- +goose NO TRANSACTION\n-- +goose Up\nVACUUM;\n',
  '0004_index.sql': '-- +goose Up\nCREATE INDEX projects_name ON projects (name);\n-- +goose Down\nDROP INDEX projects_name;\n',
};

describe('concurrency and crashes', () => {
  it('8 processes migrating one fresh DB at once (a NO TRANSACTION file among them): all exit 0, each version applied once', async () => {
    const { dir } = scratchApp({ state: FILES });
    const runs = await Promise.all(Array.from({ length: 8 }, () => spawnCli(dir, ['migrate', '--json'])));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const appliedCounts = runs.map((r) => JSON.parse(r.stdout).stores[0].applied.length);
    assert.equal(
      appliedCounts.reduce((a, b) => a + b, 0),
      4,
      `the four files were applied once in total across processes (per process: ${appliedCounts})`,
    );
    const db = new Database(path.join(dir, 'state.sqlite'), { readonly: true });
    assert.deepEqual(db.prepare('SELECT version FROM cairn_migrations ORDER BY version').pluck().all(), [1, 2, 3, 4]);
    assert.equal(db.prepare('SELECT count(*) FROM projects').pluck().get(), 2000);
    db.close();
  });

  it('one DB reached through a symlink and through its real path is locked as one: 8 processes, a NO TRANSACTION file runs once', async () => {
    const onceFiles = {
      '0001_projects.sql': FILES['0001_projects.sql'],
      // Slow enough (a few hundred ms) that the 8 runs overlap.
      '0002_once.sql':
        "-- +goose NO TRANSACTION\n-- +goose Up\nINSERT INTO projects (name) VALUES ('once');\n" +
        'CREATE TABLE filler AS SELECT v FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 400000) SELECT v FROM s);\nVACUUM;\n',
      '0003_index.sql': FILES['0004_index.sql'],
    };
    const { dir } = scratchApp({ state: onceFiles });
    // A second config in the same app names the store through a link in another folder.
    fs.mkdirSync(path.join(dir, 'linked'));
    fs.symlinkSync(path.join(dir, 'state.sqlite'), path.join(dir, 'linked', 'state.sqlite'));
    const viaLink = path.join(dir, 'via-link.config.json');
    fs.writeFileSync(viaLink, JSON.stringify({ stores: { state: { file: 'linked/state.sqlite', migrations: 'migrations/state' } } }));
    // The real file must exist for the link to lead somewhere; an empty file is a fresh DB.
    fs.writeFileSync(path.join(dir, 'state.sqlite'), '');
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => spawnCli(dir, i % 2 ? ['migrate', '--config', viaLink] : ['migrate'])));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const db = new Database(path.join(dir, 'state.sqlite'), { readonly: true });
    assert.deepEqual(db.prepare('SELECT version FROM cairn_migrations ORDER BY version').pluck().all(), [1, 2, 3]);
    assert.equal(db.prepare("SELECT count(*) FROM projects WHERE name = 'once'").pluck().get(), 1, 'the NO TRANSACTION file ran exactly once');
    db.close();
  });

  it('while one process runs a NO TRANSACTION file, a dry run and a status elsewhere see it as running, not interrupted', async () => {
    const slow =
      "-- +goose NO TRANSACTION\n-- +goose Up\nINSERT INTO projects (name) VALUES ('slow');\n" +
      'CREATE TABLE filler AS SELECT v FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 3000000) SELECT v FROM s);\n';
    const { dir } = scratchApp({ state: { '0001_projects.sql': FILES['0001_projects.sql'], '0002_slow.sql': slow } });
    assert.equal((await spawnCli(dir, ['migrate', '--to', '1'])).code, 0);
    const child = spawn(process.execPath, [BIN, 'migrate'], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Wait for the file's marker: the other process is inside the file now.
    const marked = (): boolean => {
      const db = new Database(path.join(dir, 'state.sqlite'), { readonly: true, timeout: 5000 });
      try {
        return db.prepare("SELECT 1 FROM cairn_meta WHERE key = 'interrupted'").get() !== undefined;
      } finally {
        db.close();
      }
    };
    const deadline = Date.now() + 10_000;
    while (!marked() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.ok(marked(), 'the marker of the running file appeared');
    const [dry, status] = await Promise.all([spawnCli(dir, ['migrate', '--dry-run', '--json']), spawnCli(dir, ['status', '--json'])]);
    assert.equal(await exited, 0);
    assert.equal(dry.code, 0, dry.stderr);
    assert.doesNotMatch(dry.stderr, /stopped before it finished/);
    assert.equal(status.code, 0, status.stderr);
    const seen = JSON.parse(status.stdout).stores[0];
    assert.equal(seen.interrupted, null, 'a running file is not an interrupted one');
    assert.equal(seen.refusal, null);
    assert.equal((await spawnCli(dir, ['migrate'])).code, 0, 'and nothing is left to recover');
  });

  it('two stores declared on one file (through a link, too) are a config error naming both', async () => {
    const { dir, config } = scratchApp({ state: {}, logs: {} });
    fs.writeFileSync(path.join(dir, 'state.sqlite'), '');
    fs.symlinkSync(path.join(dir, 'state.sqlite'), path.join(dir, 'logs.sqlite'));
    const r = await spawnCli(dir, ['status']);
    assert.equal(r.code, 64, r.stderr);
    assert.match(r.stderr, /stores\.state and stores\.logs are the same database file/);
    const cfg = JSON.parse(fs.readFileSync(config, 'utf8'));
    cfg.stores.logs.file = './state.sqlite';
    fs.writeFileSync(config, JSON.stringify(cfg));
    assert.equal((await spawnCli(dir, ['migrate'])).code, 64);
  });

  it('SIGKILL in the middle of a long migration leaves the DB at the previous version, intact; the re-run completes', async () => {
    const long =
      '-- +goose Up\nCREATE TABLE big (id INTEGER PRIMARY KEY, pad TEXT);\n' +
      "INSERT INTO big (pad) SELECT printf('%.200c', 'x') FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 3000000) SELECT v FROM s);\n";
    const { dir } = scratchApp({ state: { '0001_projects.sql': FILES['0001_projects.sql'], '0002_long.sql': long } });
    const child = spawn(process.execPath, [BIN, 'migrate'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stderr.on('data', (d) => {
        seen += d;
        if (seen.includes('up 0002_long.sql')) setTimeout(resolve, 400);
      });
      child.on('close', () => reject(new Error(`migrate ended before it could be killed: ${seen}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));

    const db = new Database(path.join(dir, 'state.sqlite'));
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    assert.deepEqual(db.prepare('SELECT version FROM cairn_migrations').pluck().all(), [1]);
    assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'big'").pluck().get(), 0);
    db.close();

    // The lock died with the process: the re-run neither waits nor fails.
    const rerun = await spawnCli(dir, ['migrate']);
    assert.equal(rerun.code, 0, rerun.stderr);
    const after = new Database(path.join(dir, 'state.sqlite'), { readonly: true });
    assert.deepEqual(after.prepare('SELECT version FROM cairn_migrations ORDER BY version').pluck().all(), [1, 2]);
    assert.equal(after.prepare('SELECT count(*) FROM big').pluck().get(), 3000000);
    after.close();
  });
});
