// `cairn init` through the CLI: a config, a store's migrations folder and a
// first migration that applies (and redoes); nothing existing is ever
// overwritten, and a refusal writes nothing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cli, readRows, REPO, tempDir } from '../helpers.js';

const listing = (dir: string): string[] => (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => !f.startsWith('node_modules')).sort();

describe('cairn init', () => {
  it('scaffolds a config, a migrations folder and a first migration that applies; prints the next commands', async () => {
    const dir = tempDir();
    const r = await cli(dir, 'init');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /created cairn\.config\.json/);
    assert.match(r.stdout, /created migrations\/app\/00001_init\.sql/);
    assert.match(r.stdout, /next:\n\s+cairn migrate .*\n\s+cairn new add_something .*\n\s+cairn status /);
    assert.deepEqual(listing(dir), ['cairn.config.json', 'migrations', path.join('migrations', 'app'), path.join('migrations', 'app', '00001_init.sql')]);
    assert.equal((await cli(dir, 'lint')).code, 0);
    const migrated = await cli(dir, 'migrate');
    assert.equal(migrated.code, 0, migrated.stderr);
    const db = path.join(dir, 'data', 'app.sqlite');
    assert.deepEqual(readRows(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'settings'"), [{ name: 'settings' }]);
    assert.equal((await cli(dir, 'redo')).code, 0, 'the first migration has a Down');
    assert.equal((await cli(dir, 'status', '--check')).code, 0);
    const next = await cli(dir, 'new', 'add_something');
    assert.equal(path.basename(next.stdout.trim()), '00002_add_something.sql');
  });

  it('refuses to overwrite: a config of any kind, or a migrations folder with files, and writes nothing', async () => {
    const dir = tempDir();
    assert.equal((await cli(dir, 'init')).code, 0);
    const before = fs.readFileSync(path.join(dir, 'cairn.config.json'), 'utf8');
    const again = await cli(dir, 'init', '--ts');
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already has cairn\.config\.json, migrations\/app\/ \(not empty\); cairn init writes nothing over existing files/);
    assert.equal(fs.readFileSync(path.join(dir, 'cairn.config.json'), 'utf8'), before);
    assert.equal(fs.existsSync(path.join(dir, 'cairn.config.ts')), false);

    const folder = tempDir();
    fs.mkdirSync(path.join(folder, 'migrations', 'app'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'migrations', 'app', '0001_mine.sql'), 'CREATE TABLE mine (id INTEGER);\n');
    const refused = await cli(folder, 'init');
    assert.equal(refused.code, 2);
    assert.deepEqual(listing(folder), ['migrations', path.join('migrations', 'app'), path.join('migrations', 'app', '0001_mine.sql')]);
    const other = await cli(folder, 'init', '--store', 'state', '--json');
    assert.equal(other.code, 0, 'another store name is another folder');
    assert.deepEqual(JSON.parse(other.stdout).created, ['cairn.config.json', 'migrations/state/00001_init.sql']);

    const mjs = tempDir();
    fs.writeFileSync(path.join(mjs, 'cairn.config.mjs'), 'export default {};\n');
    assert.equal((await cli(mjs, 'init')).code, 2);
    assert.equal((await cli(tempDir(), 'init', '--store', '9lives')).code, 64, 'a store name the config would refuse');
  });

  it('--ts writes a typed config that loads, with the store named', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(REPO, path.join(dir, 'node_modules', 'cairndb'), 'dir');
    const r = await cli(dir, 'init', '--ts', '--store', 'goals');
    assert.equal(r.code, 0, r.stderr);
    assert.match(fs.readFileSync(path.join(dir, 'cairn.config.ts'), 'utf8'), /defineStores\(\{[\s\S]*goals: \{ file: "goals\.sqlite"/);
    const migrated = await cli(dir, 'migrate');
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stdout, /goals: migrated none → 1/);
    assert.ok(fs.existsSync(path.join(dir, 'data', 'goals.sqlite')));
  });
});
