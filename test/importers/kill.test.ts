import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BIN, spawnCli } from '../helpers.js';
import { chainApp, chainData, dump } from './helpers.js';

/** Rows committed so far, read without disturbing the writer. */
function itemCount(db: string): number {
  if (!fs.existsSync(db)) return 0;
  const conn = new Database(db, { readonly: true, timeout: 5000 });
  try {
    return (conn.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'items'").pluck().get() as number) === 0
      ? 0
      : (conn.prepare('SELECT count(*) FROM items').pluck().get() as number);
  } finally {
    conn.close();
  }
}

describe('cairn import: killed mid-import', () => {
  it('SIGKILL at several points, then a re-run, ends with exactly the rows of an uninterrupted run', async () => {
    // 40 rooms × 5,000 items: long enough to be killed in the middle.
    const data = chainData(40, 5000);
    const reference = chainApp(data);
    const clean = await spawnCli(reference.dir, ['import', 'chain', '--from', reference.legacy]);
    assert.equal(clean.code, 0, clean.stderr);
    const expected = dump(reference.db);
    assert.equal(expected.items!.length, 200_000);

    const app = chainApp(data);
    const kills: number[] = [];
    for (const threshold of [1, 30_000, 90_000, 150_000]) {
      const child = spawn(process.execPath, [BIN, 'import', 'chain', '--from', app.legacy], { cwd: app.dir, stdio: 'ignore' });
      const exited = new Promise((resolve) => child.on('close', resolve));
      let done = false;
      void exited.then(() => (done = true));
      while (!done && itemCount(app.db) < threshold) await new Promise((r) => setTimeout(r, 5));
      if (done) continue; // it finished before this point: nothing left to interrupt
      child.kill('SIGKILL');
      await exited;
      kills.push(itemCount(app.db));
    }
    assert.ok(kills.length >= 2, `killed mid-import at least twice (rows at each kill: ${kills})`);
    assert.ok(
      kills.every((n) => n < 200_000),
      `every kill landed before the end: ${kills}`,
    );

    const finish = await spawnCli(app.dir, ['import', 'chain', '--from', app.legacy, '--json']);
    assert.equal(finish.code, 0, finish.stderr);
    const summary = JSON.parse(finish.stdout);
    assert.equal(summary.tables.items.inserted + summary.tables.items.alreadyPresent, 200_000);
    assert.deepEqual(dump(app.db), expected, 'same rows as the uninterrupted run: none missing, none doubled');
    const db = new Database(app.db, { readonly: true });
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();
    assert.equal(fs.readdirSync(path.join(app.dir, 'home')).filter((f) => f.includes('partial')).length, 0);
  });
});
