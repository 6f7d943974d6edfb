import assert from 'node:assert/strict';
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
});
