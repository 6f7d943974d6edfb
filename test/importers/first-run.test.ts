import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BIN, cli, REPO } from '../helpers.js';
import { chainApp, dump } from './helpers.js';

/** What an uninterrupted first import writes, to compare every recovered run against. */
async function expectedRows(): Promise<Record<string, unknown[]>> {
  const app = chainApp();
  const r = await cli(app.dir, 'import', 'chain', '--from', app.legacy);
  assert.equal(r.code, 0, r.stderr);
  return dump(app.db);
}

/** Leaves `file` with a hot journal: a rollback-journal writer that spilled pages into the file and was then SIGKILLed. */
function leaveHotJournal(file: string): void {
  const script = `
    import Database from 'better-sqlite3';
    const db = new Database(${JSON.stringify(file)});
    db.pragma('journal_mode = DELETE');
    db.pragma('cache_size = 10');
    db.exec('BEGIN');
    db.exec('CREATE TABLE scratch (x)');
    const insert = db.prepare('INSERT INTO scratch VALUES (?)');
    for (let i = 0; i < 20000; i++) insert.run('x'.repeat(100));
    process.kill(process.pid, 'SIGKILL');`;
  spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO });
  assert.ok(fs.statSync(`${file}-journal`).size > 0, 'a hot journal was left');
}

describe('a first run killed while it creates the database', () => {
  it('an empty file, or one with only a WAL header, is a fresh store: import (no --migrate) converges', async () => {
    const expected = await expectedRows();
    for (const leftover of ['empty', 'wal-header']) {
      const app = chainApp();
      fs.mkdirSync(path.dirname(app.db), { recursive: true });
      if (leftover === 'empty') fs.writeFileSync(app.db, '');
      else new Database(app.db).pragma('journal_mode = WAL');
      const r = await cli(app.dir, 'import', 'chain', '--from', app.legacy);
      assert.equal(r.code, 0, `${leftover}: ${r.stderr}`);
      assert.deepEqual(dump(app.db), expected, leftover);
    }
  });

  it('a hot journal left by a killed writer: status, migrate and import recover it instead of failing on it', async () => {
    const expected = await expectedRows();
    const app = chainApp();
    const cfg = path.join(app.dir, 'cairn.config.json');
    const config = JSON.parse(fs.readFileSync(cfg, 'utf8'));
    config.stores.site.pragmas = { journal_mode: 'delete' };
    fs.writeFileSync(cfg, JSON.stringify(config));
    fs.mkdirSync(path.dirname(app.db), { recursive: true });
    leaveHotJournal(app.db);

    const status = await cli(app.dir, 'status', '--json');
    assert.equal(status.code, 0, status.stderr);
    assert.doesNotMatch(status.stderr, /readonly database/);
    const imported = await cli(app.dir, 'import', 'chain', '--from', app.legacy);
    assert.equal(imported.code, 0, imported.stderr);
    assert.deepEqual(dump(app.db), expected, 'the killed transaction was rolled back, and the import ran on the empty store');
    assert.equal((await cli(app.dir, 'migrate')).code, 0);
  });

  it('the first import makes the store whole or not at all: a leftover of a killed creation is replaced, never used', async () => {
    const app = chainApp();
    fs.mkdirSync(path.dirname(app.db), { recursive: true });
    fs.writeFileSync(`${app.db}.cairn-creating`, 'half of a database that a killed run left');
    fs.writeFileSync(`${app.db}.cairn-creating-wal`, 'its journal');
    const imported = await cli(app.dir, 'import', 'chain', '--from', app.legacy);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(fs.existsSync(`${app.db}.cairn-creating`), false);
    assert.equal(fs.existsSync(`${app.db}.cairn-creating-wal`), false);
    assert.deepEqual(dump(app.db), await expectedRows());
    assert.equal((await cli(app.dir, 'status', '--check')).code, 0, 'every migration is in');
  });

  it('SIGKILLed at moments across the first import, a plain re-run always converges to the same rows', async () => {
    const expected = await expectedRows();
    for (const delayMs of [0, 5, 20, 60, 120, 250]) {
      const app = chainApp();
      await new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, 'import', 'chain', '--from', app.legacy], { cwd: app.dir, stdio: 'ignore' });
        // Killed once the database file appears (plus a delay): the moment the runs were stuck at.
        const poll = setInterval(() => {
          if (fs.existsSync(app.db)) {
            clearInterval(poll);
            setTimeout(() => child.kill('SIGKILL'), delayMs);
          }
        }, 1);
        child.on('error', reject);
        child.on('close', () => {
          clearInterval(poll);
          resolve();
        });
      });
      const rerun = await cli(app.dir, 'import', 'chain', '--from', app.legacy);
      assert.equal(rerun.code, 0, `killed ${delayMs} ms after the file appeared: ${rerun.stderr}`);
      assert.deepEqual(dump(app.db), expected, `killed ${delayMs} ms after the file appeared`);
    }
  });
});
