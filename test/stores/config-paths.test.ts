import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO, readRows, spawnCli, tempDir } from '../helpers.js';

const INDEX = JSON.stringify(pathToFileURL(path.join(REPO, 'dist', 'index.js')).href);
const DECLARED = `{ home: 'data', stores: { state: { file: 'state.sqlite', migrations: 'migrations/state' } } }`;

/** Every way a config can be written; each must resolve its paths against its own folder. */
const FORMS: Record<string, string> = {
  'cairn.config.json': JSON.stringify({ home: 'data', stores: { state: { file: 'state.sqlite', migrations: 'migrations/state' } } }),
  'cairn.config.mjs': `export default ${DECLARED};`,
  'cairn.config.js': `import { defineStores } from ${INDEX};\nexport default defineStores(${DECLARED});`,
  'cairn.config.ts': `import type { CairnConfig } from ${INDEX};\nexport default ${DECLARED} satisfies CairnConfig;`,
  'cairn.config.mts': `import { defineStores } from ${INDEX};\nexport default defineStores(${DECLARED});`,
};

function app(configName: string): string {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'migrations', 'state'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'migrations', 'state', '0001_projects.sql'), 'CREATE TABLE projects (id TEXT PRIMARY KEY);\n');
  fs.writeFileSync(path.join(dir, configName), FORMS[configName] as string);
  // .js is ESM only inside a package that says so.
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }');
  fs.mkdirSync(path.join(dir, 'sub', 'deeper'), { recursive: true });
  return dir;
}

describe('config paths', () => {
  for (const name of Object.keys(FORMS)) {
    it(`${name}: paths resolve against the config's folder, run from a subfolder or from /`, async () => {
      const dir = app(name);
      const fromSub = await spawnCli(path.join(dir, 'sub', 'deeper'), ['migrate']);
      assert.equal(fromSub.code, 0, fromSub.stderr);
      assert.equal(fs.existsSync(path.join(dir, 'sub', 'deeper', 'data')), false, 'nothing created under the working directory');
      assert.deepEqual(readRows(path.join(dir, 'data', 'state.sqlite'), 'SELECT version FROM cairn_migrations'), [{ version: 1 }]);

      const fromRoot = await spawnCli('/', ['status', '--json', '--config', path.join(dir, name)]);
      assert.equal(fromRoot.code, 0, fromRoot.stderr);
      const status = JSON.parse(fromRoot.stdout) as { stores: { file: string; current: number }[] };
      assert.equal(status.stores[0]?.file, path.join(dir, 'data', 'state.sqlite'));
      assert.equal(status.stores[0]?.current, 1);
    });
  }

  it('a migrations folder that does not exist is a config error naming the key and the path, for every command', async () => {
    const dir = app('cairn.config.json');
    fs.writeFileSync(path.join(dir, 'cairn.config.json'), JSON.stringify({ stores: { state: { file: 'state.sqlite', migrations: 'migrations/stat' } } }));
    for (const command of [['migrate'], ['migrate', '--dry-run'], ['status'], ['lint']]) {
      const r = await spawnCli(dir, command);
      assert.equal(r.code, 64, `${command.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout + r.stderr, /stores\.state\.migrations: the migrations folder .*migrations\/stat does not exist/, command.join(' '));
    }
    assert.equal(fs.existsSync(path.join(dir, 'state.sqlite')), false, 'no empty database was created');
    const doctor = await spawnCli(dir, ['doctor', '--json']);
    assert.notEqual(doctor.code, 0);
    assert.match(doctor.stdout, /migrations\/stat does not exist/);
  });

  it('a store with no migrations says so (migrations: false); leaving the key out is a config error', async () => {
    const dir = app('cairn.config.json');
    fs.writeFileSync(path.join(dir, 'cairn.config.json'), JSON.stringify({ stores: { state: { file: 'state.sqlite' } } }));
    const missing = await spawnCli(dir, ['status']);
    assert.equal(missing.code, 64);
    assert.match(missing.stderr, /stores\.state\.migrations: required: the folder of its migration files, or false/);
    fs.writeFileSync(path.join(dir, 'cairn.config.json'), JSON.stringify({ stores: { state: { file: 'state.sqlite', migrations: false } } }));
    const r = await spawnCli(dir, ['migrate']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('a migrations path that is a file is a config error', async () => {
    const dir = app('cairn.config.json');
    fs.writeFileSync(path.join(dir, 'not-a-folder'), '');
    fs.writeFileSync(path.join(dir, 'cairn.config.json'), JSON.stringify({ stores: { state: { file: 'state.sqlite', migrations: 'not-a-folder' } } }));
    const r = await spawnCli(dir, ['migrate']);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /stores\.state\.migrations: .*not-a-folder is a file, not a folder/);
  });

  it('a home that is a file, or a store path through a file, is a config error for every command, never "not created yet"', async () => {
    const dir = app('cairn.config.json');
    fs.writeFileSync(path.join(dir, 'data'), 'not a folder');
    for (const command of [['status'], ['migrate'], ['doctor'], ['verify']]) {
      const r = await spawnCli(dir, command);
      assert.equal(r.code, 64, `${command.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /home: .*data is a file, not a folder/);
    }
    fs.rmSync(path.join(dir, 'data'));
    fs.writeFileSync(path.join(dir, 'blocker'), '');
    fs.writeFileSync(
      path.join(dir, 'cairn.config.json'),
      JSON.stringify({ stores: { state: { file: 'blocker/state.sqlite', migrations: 'migrations/state' } } }),
    );
    for (const command of [['status'], ['migrate'], ['export'], ['tail', 'projects']]) {
      const r = await spawnCli(dir, command);
      assert.equal(r.code, 64, `${command.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /blocker\/state\.sqlite: a part of that path is a file, not a folder/);
    }
    const doctor = await spawnCli(dir, ['doctor', '--json']);
    assert.equal(doctor.code, 1);
    const file = (JSON.parse(doctor.stdout) as { checks: Record<string, { status: string; summary: string }> }).checks['state.file'];
    assert.equal(file?.status, 'fail', 'doctor does not call it "not created yet"');
    assert.match(file?.summary ?? '', /cannot be read: ENOTDIR/);
  });

  it('a baseline that is not valid UTF-8, or not a regular file, is a config error naming it', async () => {
    const dir = app('cairn.config.json');
    const cfg = { stores: { state: { file: 'state.sqlite', migrations: 'migrations/state', baseline: { file: 'baseline.sql', version: 1 } } } };
    fs.writeFileSync(path.join(dir, 'cairn.config.json'), JSON.stringify(cfg));
    fs.writeFileSync(path.join(dir, 'baseline.sql'), Buffer.from([0x43, 0x52, 0xff, 0x0a]));
    const bad = await spawnCli(dir, ['migrate']);
    assert.equal(bad.code, 64, bad.stderr);
    assert.match(bad.stderr, /baseline: .*baseline\.sql: not valid UTF-8 at byte 2/);
    fs.rmSync(path.join(dir, 'baseline.sql'));
    execFileSync('mkfifo', [path.join(dir, 'baseline.sql')]);
    const fifo = await spawnCli(dir, ['migrate']);
    assert.equal(fifo.code, 64, fifo.stderr);
    assert.match(fifo.stderr, /baseline\.sql: named as the baseline but not a regular file/);
    fs.rmSync(path.join(dir, 'baseline.sql'));
    const missing = await spawnCli(dir, ['migrate']);
    assert.equal(missing.code, 64);
    assert.match(missing.stderr, /baseline\.sql: does not exist; fix baseline\.file/);
  });

  it('a code config another user owns, or everyone may change, is not run; CAIRN_TRUST_CODE=1 lifts it', async () => {
    const dir = app('cairn.config.mjs');
    const config = path.join(dir, 'cairn.config.mjs');
    // The config writes a marker when it runs, so "refused" can be told from "ran, then failed".
    fs.writeFileSync(config, `import fs from 'node:fs';\nfs.writeFileSync(${JSON.stringify(path.join(dir, 'ran'))}, '');\nexport default ${DECLARED};`);
    fs.chownSync(config, 65534, 65534);
    const foreign = await spawnCli(path.join(dir, 'sub'), ['status']);
    assert.equal(foreign.code, 64, foreign.stderr);
    assert.match(foreign.stderr, /cairn\.config\.mjs: refusing to run it: it belongs to another user \(uid 65534/);
    assert.equal(fs.existsSync(path.join(dir, 'ran')), false, 'the planted config did not run');

    fs.chownSync(config, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
    fs.chmodSync(config, 0o666);
    const writable = await spawnCli(dir, ['status']);
    assert.equal(writable.code, 64);
    assert.match(writable.stderr, /refusing to run it: every user can change it \(mode 0666\)/);
    assert.equal(fs.existsSync(path.join(dir, 'ran')), false);

    const trusted = await spawnCli(dir, ['status'], { CAIRN_TRUST_CODE: '1' });
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.equal(fs.existsSync(path.join(dir, 'ran')), true);
  });
});
