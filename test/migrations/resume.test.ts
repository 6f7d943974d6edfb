// Statement-level resume of a NO TRANSACTION file, through the CLI: the
// marker records each statement as it commits; after a failure (kept, not
// undone) or a kill, `--recover resume` goes on from the first statement
// that did not run, once the statements that did are checked unchanged.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BIN, cli, readRows, scratchApp } from '../helpers.js';

const LOG = '-- +goose Up\nCREATE TABLE log (step TEXT NOT NULL);\n';
const file3 = (third: string) => `-- +goose NO TRANSACTION\n-- +goose Up\nINSERT INTO log VALUES ('a');\nINSERT INTO log VALUES ('b');\n${third}\n`;

const steps = (db: string): string[] => (readRows(db, 'SELECT step FROM log ORDER BY rowid') as { step: string }[]).map((r) => r.step);

describe('--recover resume', () => {
  for (const [label, extra] of [
    ['with backups off', { backups: false }],
    ['with noTransactionFailure: keep (a copy is taken, and kept)', { noTransactionFailure: 'keep' }],
  ] as const) {
    it(`${label}: a failure keeps what ran; resume runs only the fixed statement and on`, async () => {
      const { dir } = scratchApp({ s: { '0001_log.sql': LOG, '0002_fill.sql': file3("INSERT INTO nope VALUES ('c');") } }, { s: extra });
      const db = path.join(dir, 's.sqlite');
      // --force: the lint sees that statement 3 will fail, which is the point here.
      const failed = await cli(dir, 'migrate', '--json', '--force');
      assert.equal(failed.code, 1);
      assert.equal(JSON.parse(failed.stdout).stores[0].failed.partlyApplied, true);
      assert.deepEqual(steps(db), ['a', 'b'], 'what ran stays');
      const status = await cli(dir, 'status');
      assert.equal(status.code, 2);
      assert.match(
        status.stdout,
        /interrupted 0002_fill\.sql failed at statement 3 \(NO TRANSACTION, partly applied: statements 1–2 ran\): .*--recover restore\|rerun\|resume/,
      );
      const refused = await cli(dir, 'migrate');
      assert.match(refused.stderr, /--recover resume +runs it from the first statement that did not run \(statement 3\)/);

      fs.writeFileSync(path.join(dir, 'migrations', 's', '0002_fill.sql'), file3("INSERT INTO log VALUES ('c');"));
      const dry = await cli(dir, 'migrate', '--recover', 'resume', '--dry-run');
      assert.equal(dry.code, 0, dry.stderr);
      const resumed = await cli(dir, 'migrate', '--recover', 'resume');
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.deepEqual(steps(db), ['a', 'b', 'c'], 'statements 1 and 2 did not run again');
      assert.deepEqual(readRows(db, 'SELECT version FROM cairn_migrations ORDER BY version'), [{ version: 1 }, { version: 2 }]);
      assert.equal((await cli(dir, 'status', '--check')).code, 0);
    });
  }

  it('refuses to resume when a statement that ran was changed; nothing runs; line endings and blank lines are not a change', async () => {
    const { dir } = scratchApp({ s: { '0001_log.sql': LOG, '0002_fill.sql': file3("INSERT INTO nope VALUES ('c');") } }, { s: { backups: false } });
    const db = path.join(dir, 's.sqlite');
    assert.equal((await cli(dir, 'migrate', '--force')).code, 1);
    fs.writeFileSync(path.join(dir, 'migrations', 's', '0002_fill.sql'), file3("INSERT INTO log VALUES ('c');").replace("('b')", "('B')"));
    const r = await cli(dir, 'migrate', '--recover', 'resume');
    assert.equal(r.code, 64);
    assert.match(r.stderr, /statements 1–2 of 0002_fill\.sql ran, and the file's first 2 statements are not those any more/);
    assert.deepEqual(steps(db), ['a', 'b']);
    // Line endings and blank lines around the statements that ran are not a change.
    fs.writeFileSync(path.join(dir, 'migrations', 's', '0002_fill.sql'), file3("\n\nINSERT INTO log VALUES ('c');").replace(/\n/g, '\r\n'));
    assert.equal((await cli(dir, 'migrate', '--recover', 'resume')).code, 0);
    assert.deepEqual(steps(db), ['a', 'b', 'c']);
  });

  it('after a kill mid-file, resume goes on from the statement that was running', async () => {
    // Statement 2 takes a while (a recursive CTE of a few million rows): the process is killed during it.
    const slow = 'INSERT INTO big WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000000) SELECT x FROM c;';
    const text = `-- +goose NO TRANSACTION\n-- +goose Up\nINSERT INTO log VALUES ('a');\n${slow}\nINSERT INTO log VALUES ('c');\n`;
    const { dir } = scratchApp({ s: { '0001_log.sql': `${LOG}CREATE TABLE big (x INTEGER);\n`, '0002_fill.sql': text } }, { s: { backups: false } });
    const db = path.join(dir, 's.sqlite');
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'migrate'], { cwd: dir });
      const poll = setInterval(() => {
        try {
          const conn = new Database(db, { readonly: true, fileMustExist: true });
          const marker = conn.prepare("SELECT value FROM cairn_meta WHERE key = 'interrupted'").pluck().get() as string | undefined;
          conn.close();
          if (marker && JSON.parse(marker).completed === 1) {
            clearInterval(poll);
            child.kill('SIGKILL');
          }
        } catch {
          // not there yet
        }
      }, 5);
      child.on('error', reject);
      child.on('close', () => {
        clearInterval(poll);
        resolve();
      });
    });
    assert.deepEqual(steps(db), ['a']);
    assert.equal((readRows(db, 'SELECT count(*) AS n FROM big') as { n: number }[])[0]!.n, 0, 'killed during statement 2');
    assert.match((await cli(dir, 'status')).stdout, /was stopped before it finished \(NO TRANSACTION, partly applied: statement 1 ran\)/);
    const resumed = await cli(dir, 'migrate', '--recover', 'resume');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(steps(db), ['a', 'c']);
    assert.equal((readRows(db, 'SELECT count(*) AS n FROM big') as { n: number }[])[0]!.n, 4_000_000);
  });
});
