// `cairn cutover --store state --into shared`: a local SQLite store's rows
// moved into a PostgreSQL store, verified, recorded on both sides; killed at
// any moment, the local store is intact and the next run completes it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { movedTo } from '../../dist/snapshot/index.js';
import { BIN, cliWith } from '../helpers.js';
import { mixedServerApp, pgQuery, startPostgres, type TestServer } from './server.js';

let server: TestServer;

const SQLITE = `CREATE TABLE notes (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES notes (id), body TEXT NOT NULL, score REAL, data BLOB);\n`;
const PG = `CREATE TABLE notes (id bigint PRIMARY KEY, parent_id bigint REFERENCES notes (id), body text NOT NULL, score double precision, data bytea);\n`;

async function app(rows = 20_000): Promise<{ dir: string; env: NodeJS.ProcessEnv; url: string; file: string }> {
  const { dir, env, url } = await mixedServerApp(server, { state: { '00001_notes.sql': SQLITE }, store: 'shared', files: { '00001_notes.sql': PG } });
  const file = path.join(dir, 'state.sqlite');
  const db = new Database(file);
  const insert = db.prepare('INSERT INTO notes (id, parent_id, body, score, data) VALUES (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) insert.run(i, i > 1 ? i - 1 : null, `note ${i} ✓ "${'x'.repeat(i % 50)}"`, i / 7, i % 3 ? Buffer.from([i % 256, 0]) : null);
  })();
  db.close();
  return { dir, env, url, file };
}

/** The local rows, as one digest: what "intact" means. */
function localDigest(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const hash = crypto.createHash('sha256');
    for (const row of db.prepare('SELECT * FROM notes ORDER BY id').iterate())
      hash.update(JSON.stringify(row, (_k, v) => (Buffer.isBuffer(v) ? v.toString('hex') : v)));
    return hash.digest('hex');
  } finally {
    db.close();
  }
}

function killedAfter(cwd: string, env: NodeJS.ProcessEnv, ms: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'cutover', '--store', 'state', '--into', 'shared'], { cwd, env: { ...env, NO_COLOR: '1' }, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('cairn cutover --into a PostgreSQL store', () => {
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  it('moves every row, verified; records the move on both sides; the local rows stay as they were; a second run says it is done', async () => {
    const a = await app(500);
    const before = localDigest(a.file);
    const r = await cliWith({ cwd: a.dir, env: a.env }, 'cutover', '--store', 'state', '--into', 'shared', '--json');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const result = JSON.parse(r.stdout);
    assert.equal(result.restore.verification.equal, true);
    assert.equal(result.move.rows, 500);
    assert.equal(localDigest(a.file), before, 'the local rows are untouched');
    assert.deepEqual(movedTo({ file: a.file }), result.move);
    const [recorded] = await pgQuery<{ value: string }>(a.url, "SELECT value FROM shared.cairn_meta WHERE key = 'moved-from'");
    assert.deepEqual(JSON.parse(recorded!.value), result.move);
    assert.deepEqual(await pgQuery(a.url, 'SELECT count(*)::int AS n, sum(length(body))::int AS chars FROM shared.notes'), [
      { n: 500, chars: new Database(a.file, { readonly: true }).prepare('SELECT sum(length(body)) AS c FROM notes').get()!['c' as never] },
    ]);
    const again = await cliWith({ cwd: a.dir, env: a.env }, 'cutover', '--store', 'state', '--into', 'shared');
    assert.equal(again.code, 2);
    assert.match(again.stderr, /state was moved into shared at .* \(500 rows\); the app should use shared now/);
  });

  it('killed at any moment, the local store is intact and the server has all rows or none; the next run completes the move', async () => {
    const a = await app();
    const before = localDigest(a.file);
    const kills = Number(process.env.CAIRN_CUTOVER_KILLS ?? 8);
    let completedEarly = 0;
    for (let k = 0; k < kills; k++) {
      const code = await killedAfter(a.dir, a.env, 150 + Math.floor((k / kills) * 2500));
      // A kill can land after the move was recorded (while the process tidies up): that run completed too.
      if (code === 0 || movedTo({ file: a.file })) completedEarly += 1;
      assert.equal(localDigest(a.file), before, `kill ${k}: the local rows are untouched`);
      const [{ n }] = (await pgQuery<{ n: number }>(a.url, 'SELECT count(*)::int AS n FROM shared.notes')) as [{ n: number }];
      assert.ok(n === 0 || n === 20_000, `kill ${k}: the server has all rows or none (${n})`);
      if (completedEarly > 0) break; // the move finished before the kill: nothing left to interrupt
    }
    const last = await cliWith({ cwd: a.dir, env: a.env }, 'cutover', '--store', 'state', '--into', 'shared');
    assert.ok(last.code === 0 || (completedEarly > 0 && last.code === 2), `${last.code}: ${last.stderr}`);
    assert.equal(movedTo({ file: a.file })?.rows, 20_000);
    const verified = await cliWith({ cwd: a.dir, env: a.env }, 'verify', '--store', 'shared', '--json');
    assert.equal(verified.code, 0, verified.stdout);
    assert.deepEqual(await pgQuery(a.url, 'SELECT count(*)::int AS n, max(id)::int AS top FROM shared.notes'), [{ n: 20_000, top: 20_000 }]);
    assert.deepEqual(
      fs.readdirSync(a.dir).filter((f) => f.includes('.move-')),
      [],
      'no snapshot folder left behind by the run that completed',
    );
  });

  it('refuses a server store holding rows of its own unless --force, and an app still holding the local store open', async () => {
    const a = await app(10);
    await pgQuery(a.url, "INSERT INTO shared.notes (id, body) VALUES (999, 'theirs')");
    for (const flag of ['--dry-run', '--accept-differences']) {
      const unsupported = await cliWith({ cwd: a.dir, env: a.env }, 'cutover', '--store', 'state', '--into', 'shared', flag);
      assert.equal(unsupported.code, 64, `${flag} is refused, not ignored`);
      assert.match(unsupported.stderr, new RegExp(`--into has no ${flag}`));
    }
    const refused = await cliWith({ cwd: a.dir, env: a.env }, 'cutover', '--store', 'state', '--into', 'shared');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /notes already hold rows in schema shared; pass --force/);
    assert.equal(movedTo({ file: a.file }), null);
    assert.deepEqual(
      fs.readdirSync(a.dir).filter((f) => f.includes('.move-')),
      [],
      'a refused move leaves no snapshot folder',
    );
    const open = new Database(a.file);
    try {
      const busy = await cliWith({ cwd: a.dir, env: a.env }, 'cutover', '--store', 'state', '--into', 'shared', '--force');
      assert.equal(busy.code, 2);
      assert.match(busy.stderr, /is in use/);
    } finally {
      open.close();
    }
    assert.equal((await cliWith({ cwd: a.dir, env: a.env }, 'cutover', '--store', 'state', '--into', 'shared', '--force')).code, 0);
    assert.deepEqual(await pgQuery(a.url, 'SELECT count(*)::int AS n FROM shared.notes'), [{ n: 10 }]);
  });
});
