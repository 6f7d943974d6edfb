// `npm run demo:postgres` end to end: the example app's shared store on a real
// server through migrate, the app's pool, a refused edit, doctor, down and up,
// then the SQLite `state` store moved onto the server and back, verified.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { it } from 'node:test';
import { REPO, tempDir } from '../helpers.js';

it('the PostgreSQL demo runs every step with the exit codes it expects', { timeout: 120_000 }, () => {
  const r = spawnSync(process.execPath, [path.join(REPO, 'examples', 'agent-app', 'demo-postgres.mjs')], {
    env: { ...process.env, CAIRN_DEMO_DIR: tempDir('cairn-demo-pg-'), NO_COLOR: '1' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /shared: migrated none → 3/);
  assert.match(r.stdout, /app: 1 shared goal\(s\) on the server: ship the release \(open\)/);
  assert.match(r.stderr, /0001_teams\.sql changed after it was applied/);
  assert.match(r.stdout, /shared: migrated 3 → 1/);
  assert.match(r.stdout, /shared: migrated 1 → 3/);
  assert.match(r.stdout, /state's 52 rows are in state_server .*compared row by row/);
  assert.match(r.stdout, /52 rows restored into .*state-offline\.sqlite/);
  assert.match(r.stdout, /✓ snapshot +all 52 rows in 4 tables match the snapshot/);
});
