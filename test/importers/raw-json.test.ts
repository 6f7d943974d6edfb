// rawJson(record, member): a JSONL member stored as the line wrote it, with
// no parse → stringify round trip; the same value JSON.parse gives in every
// case the scanner accepts, and a stringify where it cannot be sure.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { memberText } from '../../dist/importers/json-text.js';
import { BIN, cli, REPO } from '../helpers.js';
import { historyApp } from '../backfill/helpers.js';
import { chainApp, DIST_INDEX } from './helpers.js';

describe('rawJson', () => {
  it('finds a top-level member as written: spacing, nesting, quotes and braces inside strings, scalars; the last of a repeated key', () => {
    const cases: [string, string, string | undefined][] = [
      ['{"a":1,"payload":{"x":[1,2,{"y":"}"}]},"z":null}', 'payload', '{"x":[1,2,{"y":"}"}]}'],
      ['{ "payload" :  {"b": "say \\"hi\\" {"} , "c": 2 }', 'payload', '{"b": "say \\"hi\\" {"}'],
      ['{"text":"ends with a backslash \\\\","payload":[]}', 'payload', '[]'],
      ['{"payload":-1.5e3,"n":true}', 'payload', '-1.5e3'],
      ['{"payload":"a string"}', 'payload', '"a string"'],
      ['{"payload":null}', 'payload', 'null'],
      ['{"payload":1,"payload":{"second":true}}', 'payload', '{"second":true}'],
      ['{"other":{"payload":1}}', 'payload', undefined],
      ['{"pay\\u006coad":1,"payload":2}', 'payload', undefined],
      ['\t{"payload":{}}\r', 'payload', '{}'],
    ];
    for (const [line, key, expected] of cases) {
      assert.equal(memberText(line, key), expected, line);
      if (expected !== undefined) assert.deepEqual(JSON.parse(expected), JSON.parse(line)[key], `${line}: the same value as JSON.parse`);
    }
  });

  it('an import stores a JSONL member as written, on the worker thread and inline; a JSON source is stringified', async () => {
    const app = chainApp();
    fs.writeFileSync(path.join(app.legacy, 'items', 'r1.jsonl'), '{"n": 1,  "label": {"say": "\\"hi\\" 🙂",  "tabs": "a\\tb"}}\n{"n":2,"label":"plain"}\n');
    const plan = `
import { defineImport, rawJson, source } from ${JSON.stringify(DIST_INDEX)};
export default defineImport({
  target: 'site',
  sources: { zones: source.json('zones.json', { each: 'zones' }), items: source.jsonl('items/r1.jsonl') },
  map: {
    zones: (r) => ({ rows: { zones: { id: r.key, name: rawJson(r, 'name') } } }),
    items: (r) => ({ rows: { rooms: { id: 'r1', zone_id: 'z1', floor: 1 }, items: { room_id: 'r1', n: r.value.n, label: rawJson(r, 'label') } } }),
  },
});
`;
    fs.writeFileSync(path.join(app.dir, 'plans', 'chain.mjs'), plan);
    for (const worker of [true, false]) {
      fs.rmSync(path.join(app.dir, 'home'), { recursive: true, force: true });
      const { runImport, loadConfig } = await import(DIST_INDEX);
      const summary = await runImport(await loadConfig({ cwd: app.dir }), { plan: path.join(app.dir, 'plans', 'chain.mjs'), from: app.legacy, worker });
      assert.equal(summary.rejected, 0);
      const db = new Database(app.db, { readonly: true });
      assert.deepEqual(
        db.prepare('SELECT n, label FROM items ORDER BY n').all(),
        [
          { n: 1, label: '{"say": "\\"hi\\" 🙂",  "tabs": "a\\tb"}' },
          { n: 2, label: '"plain"' },
        ],
        `worker: ${worker}`,
      );
      assert.equal((db.prepare("SELECT name FROM zones WHERE id = 'z1'").get() as { name: string }).name, '"north"', 'a JSON file: stringified');
      db.close();
    }
  });

  it('a backfill map gets the same: the member as the line wrote it', async () => {
    const app = historyApp(`
import path from 'node:path';
import { defineBackfill, rawJson } from ${JSON.stringify(DIST_INDEX)};
export default defineBackfill({
  target: 'hist',
  items: 'convs/*.jsonl',
  map: (r) => r.value.head
    ? { rows: { convs: { id: path.basename(r.file, '.jsonl'), title: rawJson(r, 'title') } } }
    : { rows: { msgs: { conv_id: path.basename(r.file, '.jsonl'), seq: r.line, body: rawJson(r, 'text') } } },
});
`);
    fs.mkdirSync(path.join(app.home, 'convs'));
    fs.writeFileSync(path.join(app.home, 'convs', 'c1.jsonl'), '{"head": true, "title": "first"}\n{"text": { "parts" : ["a", "b"] }}\n');
    assert.equal((await cli(app.dir, 'migrate')).code, 0);
    const r = await cli(app.dir, 'backfill', 'hist');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const db = new Database(app.db, { readonly: true });
    assert.deepEqual(db.prepare('SELECT title FROM convs').all(), [{ title: '"first"' }]);
    assert.deepEqual(db.prepare('SELECT body FROM msgs').all(), [{ body: '{ "parts" : ["a", "b"] }' }]);
    db.close();
  });
});

describe('the worker thread', () => {
  it('is used only where a second core is free: under taskset -c 0 an import reads and maps on its own thread, with the same rows', async () => {
    const script = `import(${JSON.stringify(path.join(REPO, 'dist', 'importers', 'pipeline.js'))}).then((m) => console.log(m.useWorker(undefined), m.useWorker(true), m.useWorker(false)))`;
    const one = spawnSync('taskset', ['-c', '0', process.execPath, '-e', script], { encoding: 'utf8' });
    assert.equal(one.status, 0, one.stderr);
    assert.equal(one.stdout.trim(), 'false true false', 'one core: no worker unless asked');
    const all = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(all.stdout.trim(), `${os.availableParallelism() > 1} true false`);

    const app = chainApp();
    const r = spawnSync('taskset', ['-c', '0', process.execPath, BIN, 'import', 'chain', '--from', app.legacy, '--json'], { cwd: app.dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).tables.items.inserted, 12);
  });
});
