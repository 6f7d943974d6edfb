import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { cli, spawnCli, tempDir } from '../helpers.js';
import { chainApp, chainData, DIST_INDEX, dump, readRejects, sha256, writeLegacy } from './helpers.js';

const json = (stdout: string) => JSON.parse(stdout);

describe('cairn import', () => {
  it('creates the DB through its migrations, writes parents before children, and a re-run writes nothing new', async () => {
    const app = chainApp();
    const first = await cli(app.dir, 'import', 'chain', '--from', app.legacy, '--json');
    assert.equal(first.code, 0, first.stderr + first.stdout);
    const s1 = json(first.stdout);
    assert.equal(s1.created, true);
    assert.deepEqual(Object.keys(s1.tables), ['zones', 'rooms', 'items'], 'tables reported in foreign-key order');
    assert.deepEqual(s1.tables.zones, { inserted: 2, alreadyPresent: 0, updated: 0, rejected: 0 });
    assert.deepEqual(s1.tables.rooms, { inserted: 3, alreadyPresent: 0, updated: 0, rejected: 0 });
    assert.deepEqual(s1.tables.items, { inserted: 12, alreadyPresent: 0, updated: 0, rejected: 0 });
    assert.equal(s1.rejectsFile, null, 'a clean run leaves no rejects file');
    const before = dump(app.db);

    const second = await cli(app.dir, 'import', 'chain', '--from', app.legacy, '--json');
    assert.equal(second.code, 0, second.stderr);
    const s2 = json(second.stdout);
    assert.equal(s2.created, false);
    for (const [table, counts] of Object.entries(s2.tables) as [string, { inserted: number; alreadyPresent: number }][]) {
      assert.equal(counts.inserted, 0, `${table}: nothing new on the re-run`);
      assert.equal(counts.alreadyPresent, s1.tables[table].inserted, `${table}: every row reported as already present`);
    }
    assert.deepEqual(dump(app.db), before);
    const human = await cli(app.dir, 'import', 'chain', '--from', app.legacy);
    assert.match(human.stdout, /nothing new: all 17 rows already present/);
  });

  it('every kind of bad input ends in the rejects file with where, why and the raw text; the rest is imported; exit 1', async () => {
    const data = chainData(3, 4);
    data.zones.z3 = { name: 'broken', explode: true }; // the mapper throws
    data.zones.z1!.rooms!.push({ id: 'r-neg', floor: -1 }); // CHECK constraint
    data.items.r1 = '{"n": 1, "label": "ok"}\n{"n": 2, "label": oops}\n{"n": 3, "label": "ok"}\n'; // malformed line
    data.items.r2 = '{"n": 1, "label": "ok"}\n{"n": 2}\n'; // NOT NULL: no label
    data.items.r3 = '{"n": 1, "label": "ok"}\n{"n": 2, "label": "cut off'; // truncated last line
    data.items['r-ghost'] = '{"n": 1, "label": "no such room"}\n'; // foreign key: no parent anywhere
    const app = chainApp(data);
    fs.appendFileSync(path.join(app.legacy, 'items', 'r3.jsonl'), ''); // keep the truncation
    fs.writeFileSync(
      path.join(app.legacy, 'items', 'r4.jsonl'),
      Buffer.concat([Buffer.from('{"n": 1, "label": "caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]),
    );

    const r = await cli(app.dir, 'import', 'chain', '--from', app.legacy, '--json');
    assert.equal(r.code, 1, r.stderr);
    const s = json(r.stdout);
    assert.equal(s.ok, false);
    assert.equal(s.rejected, 7);
    const rejects = readRejects(s.rejectsFile);
    const find = (pred: (x: Record<string, unknown>) => boolean, what: string) => {
      const hit = rejects.find(pred);
      assert.ok(hit, `${what} in ${JSON.stringify(rejects, null, 1)}`);
      return hit;
    };
    find(
      (x) => String(x.file).endsWith('r1.jsonl') && x.line === 2 && /malformed JSON/.test(String(x.reason)) && x.raw === '{"n": 2, "label": oops}',
      'malformed line',
    );
    find((x) => String(x.file).endsWith('r3.jsonl') && x.line === 2 && /truncated last line/.test(String(x.reason)), 'truncated last line');
    const utf = find((x) => String(x.file).endsWith('r4.jsonl') && x.reason === 'invalid UTF-8', 'invalid UTF-8');
    assert.equal(Buffer.from(String(utf.rawBase64), 'base64').at(-3), 0xe9, 'the raw bytes are kept');
    find((x) => x.key === 'z3' && /map threw: this zone cannot be mapped/.test(String(x.reason)), 'mapper throw');
    find((x) => x.table === 'rooms' && /CHECK constraint failed/.test(String(x.reason)) && (x.row as { id: string }).id === 'r-neg', 'CHECK violation');
    find((x) => x.table === 'items' && /NOT NULL constraint failed: items.label/.test(String(x.reason)) && x.line === 2, 'NOT NULL violation');
    find((x) => x.table === 'items' && /FOREIGN KEY/.test(String(x.reason)) && String(x.file).endsWith('r-ghost.jsonl'), 'orphan row');
    assert.equal(fs.statSync(s.rejectsFile).mode & 0o777, 0o600, 'rejects hold user data: private');

    // Everything else arrived.
    const db = new Database(app.db, { readonly: true });
    // r1: lines 1 and 3; r2: line 1; r3: line 1; r4 (bad UTF-8) and r-ghost (no room): none.
    assert.equal(db.prepare('SELECT count(*) FROM items').pluck().get(), 4);
    assert.equal(db.prepare('SELECT count(*) FROM rooms').pluck().get(), 3);
    db.close();
    assert.equal(s.sources.items.rejected, 3, 'malformed, truncated and bad UTF-8 are counted on their source');
    assert.deepEqual(s.tables.items, { inserted: 4, alreadyPresent: 0, updated: 0, rejected: 2 });

    const human = await cli(app.dir, 'import', 'chain', '--from', app.legacy);
    assert.equal(human.code, 1);
    assert.match(human.stdout, /7 rejected → .*\.rejects\.jsonl/);
    assert.match(human.stdout, /r1\.jsonl:2 malformed JSON/);
  });

  it('a JSON source whose `each` path is not in the document is rejected, not read as empty', async () => {
    const app = chainApp();
    fs.writeFileSync(path.join(app.legacy, 'zones.json'), JSON.stringify({ zonez: {} }));
    const r = await cli(app.dir, 'import', 'chain', '--from', app.legacy, '--json');
    assert.equal(r.code, 1);
    const s = json(r.stdout);
    assert.equal(s.sources.zones.rejected, 1);
    assert.match(s.rejectSamples.find((x: { source: string }) => x.source === 'zones').reason, /the document has no "zones"/);
  });

  it('--dry-run reads, maps and validates everything and writes nothing: no DB, no copies, no rejects file', async () => {
    const data = chainData();
    data.zones.z1!.photo = 'photo.jpg';
    data.items.r1 += '{"n": 99, "label": oops}\n';
    const app = chainApp(data);
    fs.writeFileSync(path.join(app.legacy, 'photo.jpg'), 'jpeg');
    const home = path.join(app.dir, 'home');

    const fresh = await cli(app.dir, 'import', 'chain', '--from', app.legacy, '--dry-run', '--json');
    assert.equal(fresh.code, 1, 'exit code matches what a real run would return');
    const s = json(fresh.stdout);
    assert.equal(s.dryRun, true);
    assert.equal(s.tables.items.inserted, 12);
    assert.equal(s.copies.photos.copied, 1);
    assert.equal(s.rejectsFile, null);
    assert.equal(s.rejectSamples.length, 1);
    assert.ok(!fs.existsSync(home) || fs.readdirSync(home).length === 0, `nothing in home: ${fs.existsSync(home) ? fs.readdirSync(home) : ''}`);

    // Against an existing DB: the file does not change by a byte.
    const real = await cli(app.dir, 'import', 'chain', '--from', app.legacy);
    assert.equal(real.code, 1);
    fs.rmSync(path.join(home, 'photos'), { recursive: true });
    writeLegacy(app.legacy, chainData(5, 4));
    // A read-only connection to a WAL database may create its -shm/-wal companions; the DB's own bytes are what must not change.
    const files = () =>
      fs
        .readdirSync(home)
        .filter((f) => !/-(wal|shm)$/.test(f))
        .sort();
    const listing = files();
    const checksum = sha256(app.db);
    const dry = await cli(app.dir, 'import', 'chain', '--from', app.legacy, '--dry-run', '--json');
    const d = json(dry.stdout);
    assert.equal(d.tables.rooms.inserted, 2, 'two new rooms would be inserted');
    assert.equal(d.tables.rooms.alreadyPresent, 3);
    assert.equal(sha256(app.db), checksum);
    assert.deepEqual(files(), listing, 'no copy, no rejects file, no scratch left behind');
  });

  it('--mode upsert updates rows whose values changed and counts the rest as already present', async () => {
    const app = chainApp();
    assert.equal((await cli(app.dir, 'import', 'chain', '--from', app.legacy)).code, 0);
    const data = chainData();
    data.zones.z1!.name = 'north-renamed';
    writeLegacy(app.legacy, data);
    const insert = json((await cli(app.dir, 'import', 'chain', '--from', app.legacy, '--json')).stdout);
    assert.deepEqual(insert.tables.zones, { inserted: 0, alreadyPresent: 2, updated: 0, rejected: 0 }, 'insert mode never overwrites');
    const upsert = json((await cli(app.dir, 'import', 'chain', '--from', app.legacy, '--mode', 'upsert', '--json')).stdout);
    assert.deepEqual(upsert.tables.zones, { inserted: 0, alreadyPresent: 1, updated: 1, rejected: 0 });
    assert.deepEqual(upsert.tables.items, { inserted: 0, alreadyPresent: 12, updated: 0, rejected: 0 });
    const db = new Database(app.db, { readonly: true });
    assert.equal(db.prepare("SELECT name FROM zones WHERE id = 'z1'").pluck().get(), 'north-renamed');
    db.close();
  });

  it('copy steps are idempotent: copied once, then already present; a missing source file is skipped', async () => {
    const data = chainData();
    data.zones.z1!.photo = 'z1.jpg';
    data.zones.z2!.photo = 'missing.jpg';
    const app = chainApp(data);
    fs.writeFileSync(path.join(app.legacy, 'z1.jpg'), 'jpeg bytes');
    const first = json((await cli(app.dir, 'import', 'chain', '--from', app.legacy, '--json')).stdout);
    assert.deepEqual(first.copies.photos, { copied: 1, alreadyPresent: 0, skipped: 1, failed: 0 });
    assert.equal(fs.readFileSync(path.join(app.dir, 'home', 'photos', 'z1.jpg'), 'utf8'), 'jpeg bytes');
    const second = json((await cli(app.dir, 'import', 'chain', '--from', app.legacy, '--json')).stdout);
    assert.deepEqual(second.copies.photos, { copied: 0, alreadyPresent: 1, skipped: 1, failed: 0 });
  });

  it('a copy whose source or destination leads out of its folder is a reject naming the record and the path; copies are 0600', async () => {
    const data = chainData();
    const app = chainApp(data);
    const outside = tempDir();
    fs.writeFileSync(path.join(outside, 'keys.txt'), 'private');
    data.zones.z1!.photo = path.relative(app.legacy, path.join(outside, 'keys.txt')); // ../../…/keys.txt
    data.zones.z2!.photo = 'linked.jpg';
    data.zones['../../escape'] = { name: 'evil', photo: 'ok.jpg' };
    writeLegacy(app.legacy, data);
    fs.symlinkSync(path.join(outside, 'keys.txt'), path.join(app.legacy, 'linked.jpg'));
    fs.writeFileSync(path.join(app.legacy, 'ok.jpg'), 'jpeg', { mode: 0o666 });
    fs.chmodSync(path.join(app.legacy, 'ok.jpg'), 0o666);
    const r = await cli(app.dir, 'import', 'chain', '--from', app.legacy, '--json');
    assert.equal(r.code, 1, r.stderr);
    const summary = json(r.stdout);
    assert.deepEqual(summary.copies.photos, { copied: 0, alreadyPresent: 0, skipped: 0, failed: 3 });
    const rejects = readRejects(summary.rejectsFile as string).map((x) => String(x.reason));
    assert.equal(rejects.filter((reason) => /resolves outside the import's source folder/.test(reason)).length, 2, rejects.join('\n'));
    assert.equal(rejects.filter((reason) => /is outside the stores' home/.test(reason)).length, 1, rejects.join('\n'));
    assert.equal(fs.existsSync(path.join(app.dir, 'escape.jpg')), false, 'nothing written outside home');
    assert.equal(fs.existsSync(path.join(app.dir, 'home', 'photos', 'z1.jpg')), false, 'nothing read from outside the source folder');

    // Inside the folders, the copy lands, private to the user whatever the source's mode.
    const good = chainData();
    good.zones.z1!.photo = 'ok.jpg';
    const ok = chainApp(good);
    fs.writeFileSync(path.join(ok.legacy, 'ok.jpg'), 'jpeg');
    fs.chmodSync(path.join(ok.legacy, 'ok.jpg'), 0o666);
    assert.equal((await cli(ok.dir, 'import', 'chain', '--from', ok.legacy)).code, 0);
    assert.equal((fs.statSync(path.join(ok.dir, 'home', 'photos', 'z1.jpg')).mode & 0o777).toString(8), '600');
  });

  it('a line nested 200,000 levels deep is a reject with its reason and its text; the run goes on', async () => {
    const app = chainApp();
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    fs.appendFileSync(path.join(app.legacy, 'items', 'r1.jsonl'), `{"n": 99, "label": ${deep}}\n`);
    fs.appendFileSync(path.join(app.legacy, 'items', 'r2.jsonl'), `{"n": 98, "label": "fine after it"}\n`);
    const r = await cli(app.dir, 'import', 'chain', '--from', app.legacy, '--json');
    assert.equal(r.code, 1, r.stderr);
    const summary = json(r.stdout);
    assert.equal(summary.tables.items.inserted, 13, 'every other item, the one after the deep line included');
    const [reject] = readRejects(summary.rejectsFile as string);
    assert.match(String(reject?.reason), /column label: the object cannot be stored as JSON \(nested too deeply\)/);
    assert.equal(reject?.line, 5);
    assert.equal(String(reject?.raw).length, `{"n": 99, "label": ${deep}}`.length, 'the input line is kept whole');
  });

  it('a source that is a folder or a FIFO is refused by name; a FIFO a glob matches is a reject; nothing blocks', { timeout: 60_000 }, async () => {
    const folder = chainApp();
    fs.rmSync(path.join(folder.legacy, 'zones.json'));
    fs.mkdirSync(path.join(folder.legacy, 'zones.json'));
    const r1 = await spawnCli(folder.dir, ['import', 'chain', '--from', folder.legacy]);
    assert.equal(r1.code, 2, r1.stderr);
    assert.match(r1.stderr, /source "zones": .*zones\.json is a folder, not a file/);

    const fifo = chainApp();
    fs.rmSync(path.join(fifo.legacy, 'zones.json'));
    execFileSync('mkfifo', [path.join(fifo.legacy, 'zones.json')]);
    const r2 = await spawnCli(fifo.dir, ['import', 'chain', '--from', fifo.legacy]);
    assert.equal(r2.code, 2, r2.stderr);
    assert.match(r2.stderr, /zones\.json is a FIFO, not a file/);

    const globbed = chainApp();
    execFileSync('mkfifo', [path.join(globbed.legacy, 'items', 'r9.jsonl')]);
    const r3 = await spawnCli(globbed.dir, ['import', 'chain', '--from', globbed.legacy, '--json']);
    assert.equal(r3.code, 1, r3.stderr);
    const summary = json(r3.stdout);
    assert.equal(summary.tables.items.inserted, 12, 'the regular files are imported');
    const rejects = readRejects(summary.rejectsFile as string);
    assert.deepEqual(
      rejects.map((x) => [path.basename(String(x.file)), x.reason]),
      [['r9.jsonl', 'a FIFO, not a regular file: not read']],
    );
  });

  it('a plan can be given by path and read a SQLite source', async () => {
    const app = chainApp();
    const old = path.join(app.legacy, 'old.db');
    const src = new Database(old);
    src.exec("CREATE TABLE zone (code TEXT, title TEXT); INSERT INTO zone VALUES ('z9', 'east'), ('z8', 'west');");
    src.close();
    const plan = `
import { defineImport, source } from ${JSON.stringify(DIST_INDEX)};
export default defineImport({
  target: 'site',
  sources: { zones: source.sqlite('old.db', { table: 'zone' }), notes: source.jsonl('notes/*.jsonl', { optional: true }) },
  map: { zones: ({ key, value }) => ({ rows: { zones: { id: value.code, name: value.title + ' #' + key } } }) },
});
`;
    const planFile = path.join(app.dir, 'plans', 'from-sqlite.mjs');
    fs.writeFileSync(planFile, plan);
    const r = await cli(app.dir, 'import', planFile, '--from', app.legacy, '--json');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const s = json(r.stdout);
    assert.equal(s.plan, 'from-sqlite');
    assert.equal(s.tables.zones.inserted, 2);
    assert.match(s.sources.notes.note, /optional source, skipped/);
    const db = new Database(app.db, { readonly: true });
    assert.deepEqual(db.prepare('SELECT id, name FROM zones ORDER BY id').all(), [
      { id: 'z8', name: 'west #2' },
      { id: 'z9', name: 'east #1' },
    ]);
    db.close();
  });

  it('a skip with a reason is counted by reason, in the library and the CLI; a skip beside rows, or an empty reason, is a reject', async () => {
    const app = chainApp();
    const plan = `
import { defineImport, source } from ${JSON.stringify(DIST_INDEX)};
export default defineImport({
  target: 'site',
  sources: { zones: source.json('zones.json', { each: 'zones' }) },
  map: ({ key, value }) =>
    key === 'z1' ? { skip: 'archived zone' } : key === 'z2' ? { skip: 'archived zone', rows: { zones: { id: key, name: value.name } } } : { skip: '' },
});
`;
    const planFile = path.join(app.dir, 'plans', 'skips.mjs');
    const data = chainData();
    data.zones.z3 = { name: 'third' };
    writeLegacy(app.legacy, data);
    fs.writeFileSync(planFile, plan);
    const r = await cli(app.dir, 'import', planFile, '--from', app.legacy, '--json');
    assert.equal(r.code, 1, 'the skip beside rows and the empty reason are rejects');
    const s = json(r.stdout);
    assert.deepEqual(s.sources.zones, { files: 1, records: 3, skipped: 1, skipReasons: { 'archived zone': 1 }, rejected: 2, note: null });
    assert.deepEqual(
      s.rejectSamples.map((x: { reason: string }) => x.reason),
      ['map returned `skip` beside rows or copies; a skipped record writes nothing', 'map returned `skip` that is not a reason (a non-empty string)'],
    );
    const human = await cli(app.dir, 'import', planFile, '--from', app.legacy);
    assert.match(human.stdout, /skipped: archived zone ×1/);
    const { runImport, loadConfig } = await import(DIST_INDEX);
    const summary = await runImport(await loadConfig({ cwd: app.dir }), { plan: planFile, from: app.legacy, worker: false });
    assert.deepEqual(summary.sources.zones.skipReasons, { 'archived zone': 1 });
  });
});
