import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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
