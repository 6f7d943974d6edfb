import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, openStores } from '../../dist/index.js';
import { isWholeDatabase } from '../../dist/sqlite/backup.js';
import { corruptPageOf } from '../doctor/helpers.js';
import { BIN, cli, readRows, scratchApp } from '../helpers.js';

const ROWS = 20_000;
const SEED = `CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT);
INSERT INTO items (body) SELECT 'item ' || v FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < ${ROWS}) SELECT v FROM s);
`;
// Statement 1 deletes half the rows and commits on its own; statement 2 runs for seconds, long enough to be killed in.
const HALF_AND_SLOW = `-- +goose NO TRANSACTION
-- +goose Up
DELETE FROM items WHERE id % 2 = 0;
CREATE TABLE big AS SELECT v, printf('%.200c', 'x') AS pad FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 3000000) SELECT v FROM s);
`;

function count(file: string, table: string): number {
  return (readRows(file, `SELECT count(*) AS n FROM ${table}`)[0] as { n: number }).n;
}

function backups(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.includes('.cairn-backup-') && !/-(wal|shm|journal)$/.test(n))
    .sort();
}

/** Runs `cairn migrate` in a child and SIGKILLs it once the NO TRANSACTION file has run its first statement. */
async function killInsideSecondFile(dir: string): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'migrate'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stderr.on('data', (d) => {
      seen += d;
      if (seen.includes('up 0002_half.sql')) setTimeout(resolve, 500);
    });
    child.on('close', () => reject(new Error(`migrate ended before it could be killed: ${seen}`)));
  });
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('close', resolve));
}

async function interruptedApp(extra: Record<string, unknown> = {}): Promise<{ dir: string; file: string }> {
  const { dir } = scratchApp({ state: { '0001_seed.sql': SEED } }, { state: extra });
  assert.equal((await cli(dir, 'migrate')).code, 0);
  fs.writeFileSync(path.join(dir, 'migrations/state/0002_half.sql'), HALF_AND_SLOW);
  await killInsideSecondFile(dir);
  const file = path.join(dir, 'state.sqlite');
  assert.equal(count(file, 'items'), ROWS / 2, 'the kill came after the first statement committed');
  return { dir, file };
}

/** A migrated store and a pending NO TRANSACTION file whose statement 1 commits and statement 2 fails (a duplicate key). */
async function failingHalfway(extra: Record<string, unknown> = {}): Promise<string> {
  const { dir } = scratchApp({ state: { '0001_seed.sql': SEED } }, { state: extra });
  assert.equal((await cli(dir, 'migrate')).code, 0);
  fs.writeFileSync(
    path.join(dir, 'migrations/state/0002_half.sql'),
    '-- +goose NO TRANSACTION\n-- +goose Up\nDELETE FROM items WHERE id % 2 = 0;\nINSERT INTO items (id) VALUES (1);\n',
  );
  return dir;
}

describe('an interrupted NO TRANSACTION migration', () => {
  it('is recognised: every run (--force and app startup included) refuses it and takes no copy; restore puts back the copy taken before it', async () => {
    const { dir, file } = await interruptedApp();
    const kept = backups(dir);
    assert.ok(
      kept.some((n) => n.endsWith('-before-2')),
      `the copy taken before the file is there: ${kept}`,
    );

    for (const args of [['migrate'], ['migrate', '--force'], ['migrate', '--dry-run'], ['migrate']]) {
      const r = await cli(dir, ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /0002_half\.sql was stopped before it finished .*\(NO TRANSACTION\)/);
      assert.match(r.stderr, /--recover restore .*before-2/);
      assert.match(r.stderr, /--recover rerun/);
    }
    assert.deepEqual(backups(dir), kept, 'refused runs take no copies, so none rotates the restore point out');
    await assert.rejects(openStores(await loadConfig({ cwd: dir })), (e: Error & { code?: string }) => e.code === 'E_INTERRUPTED');
    const json = JSON.parse((await cli(dir, 'migrate', '--json')).stdout) as { error: { code: string } };
    assert.equal(json.error.code, 'E_INTERRUPTED');
    const status = JSON.parse((await cli(dir, 'status', '--json')).stdout) as { stores: { interrupted: { name: string } | null }[] };
    assert.equal(status.stores[0]?.interrupted?.name, '0002_half.sql');

    // The fix: make the file lighter, then put the copy back and migrate.
    fs.writeFileSync(path.join(dir, 'migrations/state/0002_half.sql'), HALF_AND_SLOW.replace('3000000', '10'));
    const recovered = await cli(dir, 'migrate', '--store', 'state', '--recover', 'restore');
    assert.equal(recovered.code, 0, recovered.stderr);
    assert.equal(count(file, 'items'), ROWS / 2, 'the file ran once, from the state before it');
    assert.deepEqual(
      readRows(file, 'SELECT version FROM cairn_migrations ORDER BY version').map((r) => (r as { version: number }).version),
      [1, 2],
    );
    assert.equal((await cli(dir, 'migrate')).code, 0);
    const again = await cli(dir, 'migrate', '--store', 'state', '--recover', 'restore');
    assert.equal(again.code, 64, 'nothing left to recover is a usage error');
  });

  it('rerun runs the file again over what it left; without a copy (backups off) restore is refused and the message says so', async () => {
    const { dir, file } = await interruptedApp({ backups: false });
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no copy was taken before it: backups are off/);
    assert.equal((await cli(dir, 'migrate', '--store', 'state', '--recover', 'restore')).code, 64);
    fs.writeFileSync(
      path.join(dir, 'migrations/state/0002_half.sql'),
      HALF_AND_SLOW.replace('3000000', '10').replace('CREATE TABLE big', 'CREATE TABLE IF NOT EXISTS big'),
    );
    const rerun = await cli(dir, 'migrate', '--store', 'state', '--recover', 'rerun');
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.equal(count(file, 'items'), ROWS / 2);
    assert.equal(count(file, 'big'), 10);
  });

  it('a failure halfway with no copy to put back says the statements before it stay, and leaves the store refused', async () => {
    const dir = await failingHalfway({ backups: false });
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stdout, /rolled back;/);
    assert.match(r.stdout, /NOT rolled back: .*statements 1–1 of it ran and stay/);
    const json = JSON.parse((await cli(dir, 'status', '--json')).stdout) as { stores: { interrupted: { failedStatement: number } | null }[] };
    assert.equal(json.stores[0]?.interrupted?.failedStatement, 2);
    const next = await cli(dir, 'migrate');
    assert.equal(next.code, 2);
    assert.match(next.stderr, /0002_half\.sql failed at statement 2/);
    assert.equal(count(path.join(dir, 'state.sqlite'), 'items'), ROWS / 2);
  });

  it('a failure halfway with a copy puts it back and says so, leaving nothing to recover', async () => {
    const dir = await failingHalfway();
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /undone \(restored from the copy taken before it\)/);
    assert.equal(count(path.join(dir, 'state.sqlite'), 'items'), ROWS);
    fs.writeFileSync(path.join(dir, 'migrations/state/0002_half.sql'), '-- +goose NO TRANSACTION\n-- +goose Up\nDELETE FROM items WHERE id % 2 = 0;\n');
    assert.equal((await cli(dir, 'migrate')).code, 0, 'no marker left behind');
  });
});

describe('backups', () => {
  it('a migrate killed while it writes its backup leaves no file that passes for one; the next run clears the partial copy', async () => {
    const big = `CREATE TABLE pad (id INTEGER PRIMARY KEY, body TEXT);
INSERT INTO pad (body) SELECT printf('%.300c', 'x') FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 200000) SELECT v FROM s);
`;
    const { dir } = scratchApp({ state: { '0001_pad.sql': big } }, { state: { backups: { keep: 2 } } });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    fs.writeFileSync(path.join(dir, 'migrations/state/0002_more.sql'), 'CREATE TABLE more (x);\n');
    let killedMidCopy = 0;
    for (const delayMs of [0, 10, 30, 60]) {
      const child = spawn(process.execPath, [BIN, 'migrate'], { cwd: dir, stdio: 'ignore' });
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (fs.readdirSync(dir).some((n) => n.includes('.cairn-partial-backup-'))) {
            clearInterval(poll);
            killedMidCopy++;
            setTimeout(() => child.kill('SIGKILL'), delayMs);
          }
        }, 1);
        child.on('close', () => {
          clearInterval(poll);
          resolve();
        });
      });
      if (readRows(path.join(dir, 'state.sqlite'), 'SELECT max(version) AS v FROM cairn_migrations').some((r) => (r as { v: number }).v === 2)) break;
      for (const name of backups(dir)) assert.ok(isWholeDatabase(path.join(dir, name)), `${name} is a whole database`);
    }
    assert.ok(killedMidCopy > 0, 'at least one kill landed while the copy was being written');
    const doctor = JSON.parse((await cli(dir, 'doctor', '--json')).stdout) as { checks: Record<string, { details: Record<string, unknown> }> };
    const newest = doctor.checks['state.backups']?.details.newest;
    if (newest !== undefined) assert.ok(isWholeDatabase(String(newest)), 'doctor names a whole backup');
    assert.equal((await cli(dir, 'migrate')).code, 0);
    assert.deepEqual(
      fs.readdirSync(dir).filter((n) => n.includes('partial')),
      [],
      'the partial copies are gone',
    );
  });
});

describe('a damaged store', () => {
  it('is refused before a migration changes it (E_CORRUPT, exit 2), with no copy written and the doctor named', async () => {
    const { dir } = scratchApp({ state: { '0001_seed.sql': SEED } });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    const file = path.join(dir, 'state.sqlite');
    corruptPageOf(file, 'items');
    fs.writeFileSync(path.join(dir, 'migrations/state/0002_more.sql'), 'CREATE TABLE more (x);\n');
    for (const args of [[], ['--no-backup']]) {
      const r = await cli(dir, 'migrate', '--json', ...args);
      assert.equal(r.code, 2, r.stderr);
      const doc = JSON.parse(r.stdout) as { error: { code: string; message: string } };
      assert.equal(doc.error.code, 'E_CORRUPT');
      assert.match(doc.error.message, /is damaged .*nothing was changed\. Run cairn doctor --store state/);
    }
    assert.deepEqual(
      fs.readdirSync(dir).filter((n) => n.includes('backup')),
      [],
      'no copy, whole or partial, of the damaged file',
    );
    assert.deepEqual(
      readRows(file, 'SELECT version FROM cairn_migrations').map((r) => (r as { version: number }).version),
      [1],
    );
  });
});
