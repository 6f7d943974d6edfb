// The CLI as a terminal and a script see it: colour by the NO_COLOR and
// FORCE_COLOR conventions (in a pipe and in a real pseudo-terminal), `cairn`
// alone as a usage mistake, CAIRN_CONFIG naming the config, and
// `status --check` exit codes for CI and deploy scripts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BIN, cliWith, scratchApp } from '../helpers.js';
import { chainApp, chainData } from '../importers/helpers.js';

const INIT = '-- +goose Up\nCREATE TABLE notes (id INTEGER PRIMARY KEY);\n-- +goose Down\nDROP TABLE notes;\n';
const COLOURED = '\u001b[1mmain';

/** An app whose one store is migrated, so `status` prints its name in bold when colour is on. */
async function migratedApp(): Promise<string> {
  const { dir } = scratchApp({ main: { '00001_init.sql': INIT } });
  assert.equal((await cliWith({ cwd: dir }, 'migrate')).code, 0);
  return dir;
}

/** The environment without any colour variable, plus `extra`. */
function envWith(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['NO_COLOR', 'FORCE_COLOR', 'CI', 'TERM']) delete env[name];
  return { ...env, TERM: 'xterm-256color', ...extra };
}

/** `cairn status` with stdout a pipe. */
function piped(cwd: string, env: NodeJS.ProcessEnv): string {
  const r = spawnSync(process.execPath, [BIN, 'status'], { cwd, env: envWith(env), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** A command (default `cairn status`) in a pseudo-terminal (util-linux `script`), its output as the terminal got it. */
function inTerminal(cwd: string, env: NodeJS.ProcessEnv, argv = ['status'], ran = /main/): string {
  const command = [process.execPath, BIN, ...argv].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { cwd, env: envWith(env), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, ran, 'the command ran in the terminal');
  return r.stdout;
}

describe('the CLI in a terminal and in scripts', () => {
  it('colours by the conventions: a terminal gets colour unless NO_COLOR is set and not empty; FORCE_COLOR decides when set (0 turns it off)', async () => {
    const dir = await migratedApp();
    assert.ok(inTerminal(dir, {}).includes(COLOURED), 'a terminal gets colour');
    assert.ok(inTerminal(dir, { NO_COLOR: '' }).includes(COLOURED), 'an empty NO_COLOR counts as unset');
    assert.ok(!inTerminal(dir, { NO_COLOR: '1' }).includes('\u001b['), 'NO_COLOR=1 turns colour off');
    assert.ok(!inTerminal(dir, { FORCE_COLOR: '0' }).includes('\u001b['), 'FORCE_COLOR=0 turns colour off');
    assert.ok(!inTerminal(dir, { TERM: 'dumb' }).includes('\u001b['), 'a dumb terminal gets none');

    assert.ok(!piped(dir, {}).includes('\u001b['), 'a pipe gets no colour');
    assert.ok(piped(dir, { FORCE_COLOR: '1' }).includes(COLOURED), 'FORCE_COLOR forces it into a pipe');
    assert.ok(piped(dir, { FORCE_COLOR: '1', NO_COLOR: '1' }).includes(COLOURED), 'FORCE_COLOR wins over NO_COLOR, as in Node');
    assert.ok(!piped(dir, { FORCE_COLOR: '' }).includes('\u001b['), 'an empty FORCE_COLOR counts as unset');
    assert.ok(!piped(dir, { FORCE_COLOR: 'false' }).includes('\u001b['));
  });

  it("a progress bar's first frame has a value for every token and no ETA written as INF or NULL", async () => {
    const app = chainApp(chainData(40, 50));
    const out = inTerminal(app.dir, {}, ['import', 'chain', '--from', app.legacy], /wrote 2,\d{3} rows/);
    assert.match(out, /\d+ records \| \d+ rows \| \d+ rejected \| ETA /, 'the bar was drawn');
    assert.doesNotMatch(out, /\{\w+\}/, 'no token printed as written');
    assert.doesNotMatch(out, /NFs|INF|NULL/);
    assert.ok(out.includes('\u001b[?25h'), 'the cursor is shown again');
  });

  it('export, restore and cutover draw a bar of rows on a terminal (cutover one per phase), and none in a pipe', async () => {
    const { dir } = scratchApp({ main: { '00001_init.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n' } });
    assert.equal((await cliWith({ cwd: dir }, 'migrate')).code, 0);
    const conn = new Database(path.join(dir, 'main.sqlite'));
    const insert = conn.prepare('INSERT INTO notes (body) VALUES (?)');
    conn.transaction(() => {
      for (let i = 0; i < 300_000; i++) insert.run(`note ${i} with a little text to carry along`);
    })();
    conn.close();
    const exported = inTerminal(dir, {}, ['export', '--out', 'snap'], /exported/);
    assert.match(exported, /\| notes \| \d+\/300000 rows/);
    const restored = inTerminal(dir, {}, ['restore', '--from', 'snap', '--target', 'copy.sqlite'], /restored|verified/);
    assert.match(restored, /\| notes \| \d+\/300000 rows/);
    const cutover = inTerminal(dir, {}, ['cutover'], /cutover|swapped/);
    assert.match(cutover, / export .*\| notes \| \d+\/300000 rows/);
    assert.match(cutover, / restore .*\| notes \| \d+\/300000 rows/);
    assert.ok(cutover.lastIndexOf('\u001b[?25h') > cutover.lastIndexOf('\u001b[?25l'), 'the cursor is shown again');
    const r = spawnSync(process.execPath, [BIN, 'export', '--out', 'snap2'], { cwd: dir, env: envWith({}), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /rows \|/, 'no bar in a pipe');
  });

  it('migrate draws a bar of steps on a terminal, and writes a line per step in a pipe', async () => {
    const files: Record<string, string> = {};
    for (let v = 1; v <= 4; v++) files[`0000${v}_t${v}.sql`] = `CREATE TABLE t${v} (id INTEGER PRIMARY KEY);\n`;
    const { dir } = scratchApp({ main: files });
    const out = inTerminal(dir, {}, ['migrate'], /migrated none → 4/);
    assert.match(out, / main .* \d\/4 steps \| up 0000\d_t\d\.sql/);
    assert.doesNotMatch(out, /cairn: main: up/, 'no step lines under the bar');
    assert.ok(out.lastIndexOf('\u001b[?25h') > out.lastIndexOf('\u001b[?25l'), 'the cursor is shown again');
    fs.writeFileSync(path.join(dir, 'migrations', 'main', '00005_t5.sql'), 'CREATE TABLE t5 (id INTEGER);\n');
    const r = spawnSync(process.execPath, [BIN, 'migrate'], { cwd: dir, env: envWith({}), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^cairn: main: up 00005_t5\.sql$/m);
  });

  it('doctor --full draws a bar of the stores it reads on a terminal; plain doctor does not', async () => {
    const { dir } = scratchApp({ main: { '00001_init.sql': INIT }, logs: { '00001_init.sql': INIT } });
    assert.equal((await cliWith({ cwd: dir }, 'migrate')).code, 0);
    const full = inTerminal(dir, {}, ['doctor', '--full'], /integrity/);
    assert.match(full, /\d\/2 stores \| checking (main|logs)/);
    assert.doesNotMatch(inTerminal(dir, {}, ['doctor'], /integrity/), /stores \| checking/);
  });

  it('`cairn` with no command prints the help on stderr and exits 64; asking for help exits 0', async () => {
    const dir = await migratedApp();
    const bare = await cliWith({ cwd: dir });
    assert.equal(bare.code, 64);
    assert.equal(bare.stdout, '');
    assert.match(bare.stderr, /^Usage: cairn \[options\] \[command\]/);
    assert.match(bare.stderr, /migrate/);
    for (const argv of [['--help'], ['help'], ['help', 'status'], ['status', '--help']]) {
      const r = await cliWith({ cwd: dir }, ...argv);
      assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /Usage: cairn/);
    }
    assert.equal((await cliWith({ cwd: dir }, 'no-such-command')).code, 64);
  });

  it('CAIRN_CONFIG names the config as --config does; --config wins; a missing one is a config mistake (64)', async () => {
    const dir = await migratedApp();
    const elsewhere = fs.mkdtempSync(path.join(path.dirname(dir), 'cairn-elsewhere-'));
    const config = path.join(dir, 'cairn.config.json');
    const named = await cliWith({ cwd: elsewhere, env: { ...process.env, CAIRN_CONFIG: config } }, 'status', '--json');
    assert.equal(named.code, 0, named.stderr);
    assert.equal(JSON.parse(named.stdout).stores[0].store, 'main');
    assert.equal(JSON.parse(named.stdout).stores[0].current, 1);

    const other = scratchApp({ side: { '00001_init.sql': INIT } });
    const both = await cliWith({ cwd: elsewhere, env: { ...process.env, CAIRN_CONFIG: config } }, '--config', other.config, 'status', '--json');
    assert.equal(JSON.parse(both.stdout).stores[0].store, 'side', '--config wins over CAIRN_CONFIG');

    const missing = await cliWith({ cwd: elsewhere, env: { ...process.env, CAIRN_CONFIG: path.join(elsewhere, 'nope.json') } }, 'status');
    assert.equal(missing.code, 64);
    assert.match(missing.stderr, /nope\.json/);
    const empty = await cliWith({ cwd: dir, env: { ...process.env, CAIRN_CONFIG: '' } }, 'status');
    assert.equal(empty.code, 0, 'an empty CAIRN_CONFIG counts as unset: the nearest config is used');
  });

  it('status --check exits 1 when a migration is pending, 2 when migrate would refuse, 0 when up to date; plain status stays 0 when pending', async () => {
    const { dir } = scratchApp({ main: { '00001_init.sql': INIT } });
    assert.equal((await cliWith({ cwd: dir }, 'status', '--check')).code, 1, 'a fresh store: everything pending');
    assert.equal((await cliWith({ cwd: dir }, 'status')).code, 0);
    assert.equal((await cliWith({ cwd: dir }, 'migrate')).code, 0);
    assert.equal((await cliWith({ cwd: dir }, 'status', '--check')).code, 0);
    fs.writeFileSync(path.join(dir, 'migrations', 'main', '00002_more.sql'), '-- +goose Up\nCREATE TABLE more (id INTEGER);\n');
    const pending = await cliWith({ cwd: dir }, 'status', '--check', '--json');
    assert.equal(pending.code, 1);
    assert.equal(JSON.parse(pending.stdout).stores[0].pending.length, 1);
    fs.appendFileSync(path.join(dir, 'migrations', 'main', '00001_init.sql'), '-- edited after it was applied\n');
    assert.equal((await cliWith({ cwd: dir }, 'status', '--check')).code, 2, 'an edited applied file: migrate would refuse');
  });
});
