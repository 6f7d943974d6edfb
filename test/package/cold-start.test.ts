// What the library entry loads at app start: the startup path only. Every
// module loaded here is paid by every start of every app using cairndb, so
// the CLI, the import/backfill/snapshot/doctor/lint/tail code, zod, the
// progress bar, the glob and the TypeScript loader must wait until used.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BIN, REPO, scratchApp } from '../helpers.js';

// A resolve hook that prints every module URL once, on stderr, as `MOD url`.
const HOOK =
  'data:text/javascript,' +
  encodeURIComponent(
    'const seen = new Set(); export async function resolve(s, c, next) { const r = await next(s, c); if (!seen.has(r.url)) { seen.add(r.url); console.error("MOD " + r.url); } return r; }',
  );

// Builtins a require() loads pass no resolve hook: at exit, the public ones in Node's load list are printed too.
const BUILTINS =
  'data:text/javascript,' +
  encodeURIComponent(
    'process.on("exit", () => { for (const m of process.moduleLoadList) if (/^NativeModule [a-z_]+$/.test(m)) console.error("MOD node:" + m.slice(13)); });',
  );

function modulesLoaded(cwd: string, args: string[]): string[] {
  const r = spawnSync(process.execPath, ['--no-warnings', '--experimental-loader', HOOK, '--import', BUILTINS, ...args], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const loaded = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('MOD '))
    .map((l) => l.slice(4));
  return loaded.filter((m) => !(m.startsWith('node:') && harnessBuiltins().has(m)));
}

// The loader hook itself runs on a worker thread: what an empty script loads under it is the harness's, not cairn's.
let harness: Set<string> | undefined;
function harnessBuiltins(): Set<string> {
  if (!harness) {
    const r = spawnSync(process.execPath, ['--no-warnings', '--experimental-loader', HOOK, '--import', BUILTINS, '-e', '0'], { encoding: 'utf8' });
    harness = new Set(
      r.stderr
        .split('\n')
        .filter((l) => l.startsWith('MOD node:'))
        .map((l) => l.slice(4)),
    );
  }
  return harness;
}

/** Paths relative to the repo (`dist/…`, `node_modules/<pkg>/…`), builtins as `node:x`. */
function named(urls: string[]): string[] {
  return urls.map((u) => (u.startsWith('file:') ? path.relative(REPO, new URL(u).pathname) : u));
}

const LATER = [
  /^dist\/cli\//,
  // A plan's declarations (defineImport, source, rawJson) load from the root: plain objects and a small scanner.
  /^dist\/importers\/(?!(define|json-text)\.js$)/,
  // readThrough and its fallback counter are the read path an app calls from the root entry: small, and no job code.
  /^dist\/backfill\/(?!(define|readiness|state|read-through|fallbacks)\.js$)/,
  /^dist\/(snapshot|doctor|lint|tail|schema|adopt|postgres)\//,
  /^node_modules\/pg(-[a-z]+)?\//,
  /^dist\/migrations\/(migrator|apply|parse|parse-goose|split-sqlite|lint)\.js$/,
  /^node_modules\/(zod|commander|cli-progress|tinyglobby|picomatch|fdir|jiti)\//,
  /^node:(crypto|worker_threads|child_process)$/,
];

function appWithLink(): { dir: string } {
  const { dir } = scratchApp({
    state: { '00001_init.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY);\n' },
    logs: { '00001_init.sql': 'CREATE TABLE lines (id INTEGER PRIMARY KEY);\n' },
  });
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(REPO, path.join(dir, 'node_modules', 'cairndb'), 'dir');
  fs.writeFileSync(
    path.join(dir, 'start.mjs'),
    "import { loadConfig, openStores, backfillReadiness } from 'cairndb';\nconst app = await openStores(await loadConfig());\nbackfillReadiness(app.db('state'), 'none');\napp.close();\n",
  );
  return { dir };
}

describe('cold start: what loads', () => {
  it('an app start with nothing pending loads only the startup path', () => {
    const { dir } = appWithLink();
    spawnSync(process.execPath, ['start.mjs'], { cwd: dir }); // first start migrates
    const loaded = named(modulesLoaded(dir, ['start.mjs']));
    assert.ok(loaded.includes('dist/index.js') && loaded.some((m) => m.startsWith('node_modules/better-sqlite3/')), loaded.join('\n'));
    const early = loaded.filter((m) => LATER.some((re) => re.test(m)));
    assert.deepEqual(early, [], `loaded at start: ${early.join(', ')}`);
  });

  it('the first start, which migrates, loads the engine then and only then', () => {
    const { dir } = appWithLink();
    const loaded = named(modulesLoaded(dir, ['start.mjs']));
    assert.ok(loaded.includes('dist/migrations/migrator.js'));
    assert.deepEqual(
      loaded.filter((m) => /^dist\/cli\/|node_modules\/(commander|cli-progress|tinyglobby|jiti)\//.test(m)),
      [],
    );
  });

  it('cairn --version loads neither the CLI parser nor any command', () => {
    const loaded = named(modulesLoaded(REPO, [BIN, '--version']));
    assert.deepEqual(
      loaded.filter((m) => m.startsWith('dist/') || m.startsWith('node_modules/')),
      ['dist/cli/bin.js', 'dist/version.js'],
    );
  });

  it('cairn status loads no other command, and no import, backfill, snapshot, doctor, lint or progress code', () => {
    const { dir } = appWithLink();
    spawnSync(process.execPath, [BIN, 'migrate'], { cwd: dir });
    const loaded = named(modulesLoaded(dir, [BIN, 'status']));
    const heavy = loaded.filter((m) =>
      /^dist\/(importers|backfill|snapshot|doctor|lint|schema)\/|^dist\/tail\/(?!defaults\.js$)|^dist\/cli\/commands\/(?!status\.js$)|^dist\/failures\.js$|^dist\/migrations\/migrator\.js$|node_modules\/(zod|cli-progress|tinyglobby|jiti)\//.test(
        m,
      ),
    );
    assert.deepEqual(heavy, []);
    // Up to date, it is answered from the fingerprint: no migration file is parsed or hashed.
    const reading = loaded.filter((m) => /^dist\/migrations\/(parse|parse-goose|split-sqlite|split-postgres|source|baseline|plan-input)\.js$/.test(m));
    assert.deepEqual(reading, []);
  });

  it('cairn status on a store with a pending file reads it in full', () => {
    const { dir } = appWithLink();
    spawnSync(process.execPath, [BIN, 'migrate'], { cwd: dir });
    fs.writeFileSync(path.join(dir, 'migrations', 'state', '00002_more.sql'), 'CREATE TABLE more (id INTEGER PRIMARY KEY);\n');
    const loaded = named(modulesLoaded(dir, [BIN, 'status']));
    assert.ok(loaded.includes('dist/migrations/parse.js'), loaded.join('\n'));
  });
});
