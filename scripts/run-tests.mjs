// Runs every compiled test file with Node's own test runner. Node 20 takes
// explicit paths (globs arrived in 21), so the files are listed here.
//
// Every scratch folder the tests make (apps, snapshots, servers' data) goes
// under one temp root per run, through TMPDIR, which child processes and the
// test server inherit; the root is removed when the run passes and kept (and
// named) when it fails, for a look. Left to themselves, runs had piled up
// tens of thousands of folders and filled the disk.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = 'build';
const files = [];
(function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else if (entry.name.endsWith('.test.js')) files.push(full);
  }
})(root);
files.sort();
const only = process.argv.slice(2);
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-tests-'));
// The test PostgreSQL server may run as another user (as root, `postgres`): it must reach its data folder.
fs.chmodSync(scratch, 0o755);
// Times print in the local zone (tail); the tests run in UTC whatever the machine's, and set TZ where they test a zone.
const env = { ...process.env, TMPDIR: scratch, TZ: 'UTC' };
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...selected], { stdio: 'inherit', env });
if (result.status === 0) fs.rmSync(scratch, { recursive: true, force: true });
else console.error(`the tests' scratch folders are kept in ${scratch}`);
process.exit(result.status ?? 1);
