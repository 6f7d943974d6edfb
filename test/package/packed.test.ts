// The package as npm users get it: packed from a clean copy of the repo (so
// `prepack` must build dist/), installed into a scratch app, then used from
// ESM, from CommonJS `require()`, from a type-checked TypeScript consumer and
// through the `cairn` bin.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { REPO, tempDir } from '../helpers.js';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function sh(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The repo's files as a fresh clone has them (tracked and not ignored), without dist/ or build/. */
function cleanCopy(): string {
  const dir = path.join(tempDir('cairn-pack-'), 'clone');
  const list = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: REPO, encoding: 'utf8' });
  for (const rel of list.split('\0').filter(Boolean)) {
    const from = path.join(REPO, rel);
    if (!fs.existsSync(from)) continue; // deleted in the work tree, not yet committed
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, rel));
  }
  // The build needs the dev tools; a clone gets them from `npm ci`, this copy borrows the repo's.
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

describe('the packed tarball', { timeout: 240_000 }, () => {
  let tarball = '';
  let files: string[] = [];
  let app = '';

  before(() => {
    const clone = cleanCopy();
    assert.equal(fs.existsSync(path.join(clone, 'dist')), false);
    const out = path.dirname(clone);
    const packed = JSON.parse(sh(NPM, ['pack', '--json', '--pack-destination', out], clone)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(out, packed[0]!.filename);
    files = packed[0]!.files.map((f) => f.path);

    app = path.join(out, 'app');
    fs.mkdirSync(path.join(app, 'node_modules'), { recursive: true });
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true }));
    // better-sqlite3 compiles from source for a minute or more when no prebuilt binary can be
    // fetched; its already-built copy (with its runtime dependencies) stands in, and npm keeps it.
    for (const dep of ['better-sqlite3', 'bindings', 'file-uri-to-path']) {
      fs.cpSync(path.join(REPO, 'node_modules', dep), path.join(app, 'node_modules', dep), { recursive: true });
    }
    sh(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app);
  });

  it('is named cairndb and ships the built code, the licence and the docs, and no source maps', () => {
    assert.match(path.basename(tarball), /^cairndb-\d+\.\d+\.\d+/);
    for (const needed of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/bin.js', 'dist/migrations/index.js']) {
      assert.ok(files.includes(needed), `${needed} is in the tarball`);
    }
    assert.deepEqual(
      files.filter((f) => f.endsWith('.map')),
      [],
    );
    assert.deepEqual(
      files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('build/')),
      [],
    );
    assert.ok(
      files.some((f) => f.startsWith('docs/')),
      'the docs ship with the package',
    );
  });

  it('installs a cairn bin that prints the version and migrates a store', () => {
    const version = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version as string;
    assert.equal(sh(NPM, ['exec', '--', 'cairn', '--version'], app).trim(), version);
    fs.mkdirSync(path.join(app, 'migrations'));
    fs.writeFileSync(path.join(app, 'migrations', '00001_init.sql'), 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n');
    fs.writeFileSync(path.join(app, 'cairn.config.json'), JSON.stringify({ stores: { state: { file: 'state.sqlite', migrations: 'migrations' } } }));
    const out = sh(NPM, ['exec', '--', 'cairn', 'migrate'], app);
    assert.match(out, /00001/);
    assert.ok(fs.existsSync(path.join(app, 'state.sqlite')));
  });

  it('imports from ESM, the root and the migrations subpath', () => {
    fs.writeFileSync(
      path.join(app, 'esm.mjs'),
      [
        "import { openStores, loadConfig } from 'cairndb';",
        "import { parseMigration } from 'cairndb/migrations';",
        'const app = await openStores(await loadConfig({ cwd: process.cwd() }));',
        "app.db('state').prepare('INSERT INTO notes (body) VALUES (?)').run('hello');",
        "console.log(app.db('state').prepare('SELECT count(*) AS n FROM notes').get().n, typeof parseMigration);",
        'app.close();',
      ].join('\n'),
    );
    assert.equal(sh(process.execPath, ['esm.mjs'], app).trim(), '1 function');
  });

  it('loads with require() where Node can require ES modules', () => {
    fs.writeFileSync(
      path.join(app, 'cjs.cjs'),
      "const { openDatabase } = require('cairndb'); const m = require('cairndb/migrations'); console.log(typeof openDatabase, typeof m.checksum);\n",
    );
    assert.equal(sh(process.execPath, ['cjs.cjs'], app).trim(), 'function function');
  });

  it('type-checks a TypeScript consumer under moduleResolution nodenext', () => {
    fs.writeFileSync(
      path.join(app, 'consumer.mts'),
      [
        "import { openStores, loadConfig, type OpenStores, type Db } from 'cairndb';",
        "import { checksum } from 'cairndb/migrations';",
        'const app: OpenStores = await openStores(await loadConfig({ cwd: process.cwd() }));',
        "const db: Db = app.db('state');",
        "const row = db.prepare('SELECT count(*) AS n FROM notes').get<{ n: number }>();",
        'const n: number | undefined = row?.n;',
        "const sum: string = checksum('SELECT 1;');",
        'console.log(n, sum.length);',
        'app.close();',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          // The consumer's own @types/node; this scratch app borrows the repo's.
          typeRoots: [path.join(REPO, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['consumer.mts'],
      }),
    );
    sh(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], app);
    // And a wrong use is caught: the check is real.
    fs.writeFileSync(path.join(app, 'consumer.mts'), "import { openStores } from 'cairndb';\nconst n: number = openStores;\nconsole.log(n);\n");
    const bad = spawnSync(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: app, encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout, /consumer\.mts/);
  });
});
