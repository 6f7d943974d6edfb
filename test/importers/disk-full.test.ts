import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import Database from 'better-sqlite3';
import { spawnCli } from '../helpers.js';
import { chainApp, chainData, dump } from './helpers.js';

/** Mounts a small tmpfs at `dir` (root only: elsewhere the test says why it did not run). */
function smallDisk(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

it('an import that fills the disk says so (E_DISK_FULL, exit 1), keeps a whole database, and a re-run with room converges', async (t) => {
  const data = chainData(40, 3000);
  const reference = chainApp(data);
  assert.equal((await spawnCli(reference.dir, ['import', 'chain', '--from', reference.legacy])).code, 0);
  const expected = dump(reference.db);

  const app = chainApp(data);
  const home = path.join(app.dir, 'home');
  fs.mkdirSync(home, { recursive: true });
  if (!smallDisk(home, '1m')) {
    t.skip('mounting a small tmpfs needs root (CI runs as root)');
    return;
  }
  try {
    const full = await spawnCli(app.dir, ['import', 'chain', '--from', app.legacy, '--json']);
    assert.equal(full.code, 1, full.stderr);
    const doc = JSON.parse(full.stdout) as { error: { code: string; message: string } };
    assert.equal(doc.error.code, 'E_DISK_FULL');
    assert.match(doc.error.message, /Free some space and run the same command again/);
    assert.doesNotMatch(full.stderr, /^\s+at /m, 'no stack trace');
    const db = new Database(app.db, { readonly: true });
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', 'what is on disk is a whole database');
    db.close();

    execFileSync('mount', ['-o', 'remount,size=64m', home]);
    const again = await spawnCli(app.dir, ['import', 'chain', '--from', app.legacy]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(dump(app.db), expected);
  } finally {
    execFileSync('umount', [home]);
  }
});

it('a backup that does not fit is E_BACKUP before anything changes, with no partial copy left to pass for one', async (t) => {
  const { scratchApp, cli } = await import('../helpers.js');
  const { dir } = scratchApp(
    {
      state: {
        '0001_pad.sql':
          "CREATE TABLE pad (body TEXT);\nINSERT INTO pad SELECT printf('%.500c', 'x') FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 1500) SELECT v FROM s);\n",
      },
    },
    // A rollback journal: a WAL would need the store's size twice over while it is first written.
    { state: { file: 'home/state.sqlite', pragmas: { journal_mode: 'delete' } } },
  );
  const home = path.join(dir, 'home');
  fs.mkdirSync(home);
  if (!smallDisk(home, '1000k')) {
    t.skip('mounting a small tmpfs needs root (CI runs as root)');
    return;
  }
  try {
    assert.equal((await cli(dir, 'migrate')).code, 0);
    const size = fs.statSync(path.join(home, 'state.sqlite')).size;
    const free = Number(fs.statfsSync(home).bavail) * Number(fs.statfsSync(home).bsize);
    assert.ok(free < size, `the room left (${free} bytes) is less than a copy of the store (${size} bytes)`);
    fs.writeFileSync(path.join(dir, 'migrations', 'state', '0002_more.sql'), 'CREATE TABLE more (x);\n');
    const r = await cli(dir, 'migrate', '--json');
    assert.equal(r.code, 2, r.stdout);
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'E_BACKUP');
    assert.deepEqual(
      fs.readdirSync(home).filter((n) => n.includes('backup')),
      [],
      'the partial copy is gone',
    );
    const db = new Database(path.join(home, 'state.sqlite'), { readonly: true });
    assert.deepEqual(db.prepare('SELECT version FROM cairn_migrations').pluck().all(), [1], 'nothing was changed');
    db.close();
  } finally {
    execFileSync('umount', [home]);
  }
});
