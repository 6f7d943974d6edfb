// The developer's loop through the CLI: `cairn new` writes a template that is
// never applied as it is; an applied file edited afterwards is refused (exit 2)
// with the ways out named; `cairn redo` reverts it with the Down it was applied
// with and applies it again; `migrate --accept-edit` records the edit, keeping
// the old checksum. Lint warns of empty files and says it cannot lint code.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cli, readRows, scratchApp } from '../helpers.js';

const T1 = '-- +goose Up\nCREATE TABLE t1 (id INTEGER PRIMARY KEY);\n-- +goose Down\nDROP TABLE t1;\n';
const T2 = '-- +goose Up\nCREATE TABLE t2 (id INTEGER PRIMARY KEY, name TEXT);\n-- +goose Down\nDROP TABLE t2;\n';

const tables = (file: string): string[] =>
  (readRows(file, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'cairn_%' ORDER BY name") as { name: string }[]).map((r) => r.name);

/** An app with one store `app` and its first file applied as `text`; returns the file's path to edit. */
async function appliedApp(text: string, files: Record<string, string> = {}): Promise<{ dir: string; db: string; file: string }> {
  const { dir } = scratchApp({ app: { '0001_first.sql': text, ...files } });
  const r = await cli(dir, 'migrate');
  assert.equal(r.code, 0, r.stderr);
  return { dir, db: path.join(dir, 'app.sqlite'), file: path.join(dir, 'migrations', 'app', Object.keys(files).at(-1) ?? '0001_first.sql') };
}

describe('the developer loop: new, the edit trap, redo, accept-edit', () => {
  it('never applies the untouched template of cairn new; lint warns of it; once written it applies', async () => {
    const { dir } = scratchApp({ app: {} });
    const created = (await cli(dir, 'new', 'init')).stdout.trim();
    const lint = await cli(dir, 'lint', '--json');
    assert.equal(lint.code, 0, 'a warning is not a failure');
    const finding = JSON.parse(lint.stdout).stores[0].findings[0];
    assert.equal(finding.rule, 'empty-migration');
    assert.match(finding.message, /still the template/);
    const refused = await cli(dir, 'migrate');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /0001_init\.sql is still the empty template `cairn new` wrote; write its Up/);
    assert.equal(fs.existsSync(path.join(dir, 'app.sqlite')), false, 'nothing was created');
    assert.equal((await cli(dir, 'status', '--check')).code, 2, 'status --check says migrate would refuse');
    // Only blank lines or CRLF line endings added: still the template.
    fs.writeFileSync(created, `\r\n${fs.readFileSync(created, 'utf8').replace(/\n/g, '\r\n')}\r\n\r\n`);
    assert.equal((await cli(dir, 'migrate')).code, 2);
    fs.writeFileSync(created, T1);
    assert.equal((await cli(dir, 'migrate')).code, 0);
    assert.deepEqual(tables(path.join(dir, 'app.sqlite')), ['t1']);
  });

  it('an empty file that is not the template is a lint warning and applies; a nolint line silences it', async () => {
    const { dir } = scratchApp({
      app: { '0001_empty.sql': '-- +goose Up\n-- +goose Down\n', '0002_quiet.sql': '-- cairn:nolint empty-migration\n-- +goose Up\n' },
    });
    const lint = JSON.parse((await cli(dir, 'lint', '--json')).stdout).stores[0];
    assert.deepEqual(
      lint.findings.map((f: { rule: string; version: number; message: string }) => [f.rule, f.version]),
      [['empty-migration', 1]],
    );
    assert.match(lint.findings[0].message, /no statement/);
    const migrated = await cli(dir, 'migrate');
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stdout, /lint 0001_empty\.sql \[empty-migration\]/);
  });

  it('an edited applied file exits 2 naming redo and --accept-edit; redo reverts with the applied Down and applies the file as it is', async () => {
    const { dir, db, file } = await appliedApp(T1);
    fs.writeFileSync(file, T2);
    for (const argv of [['migrate'], ['migrate', '--to', '0'], ['migrate', '--force'], ['status']]) {
      const r = await cli(dir, ...argv);
      assert.equal(r.code, 2, argv.join(' '));
    }
    const refused = await cli(dir, 'migrate');
    assert.match(refused.stderr, /cairn redo --store app/);
    assert.match(refused.stderr, /cairn migrate --store app --accept-edit 1/);
    const status = await cli(dir, 'status');
    assert.match(status.stdout, /while you are still writing it: cairn redo --store app/);
    assert.match(status.stdout, /--accept-edit 1/);

    const dry = await cli(dir, 'redo', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /down\s+0001_first\.sql\n\s+DROP TABLE t1;/, 'the Down shown is the applied one');
    assert.match(dry.stdout, /up\s+0001_first\.sql\n\s+CREATE TABLE t2/);
    assert.deepEqual(tables(db), ['t1'], 'a dry run writes nothing');

    const redo = await cli(dir, 'redo');
    assert.equal(redo.code, 0, redo.stderr);
    assert.match(redo.stdout, /changed since it was applied: it is reverted with the Down it was applied with/);
    assert.deepEqual(tables(db), ['t2']);
    assert.equal((await cli(dir, 'migrate')).code, 0, 'the history now holds the file as it is');
    // Edited again: the Down that runs is the one applied last (T2's), not the first one.
    fs.writeFileSync(file, T1);
    assert.equal((await cli(dir, 'redo')).code, 0);
    assert.deepEqual(tables(db), ['t1']);
    // Unedited: a plain redo (down, up) of the newest file.
    const plain = await cli(dir, 'redo', '--json');
    assert.equal(plain.code, 0);
    assert.deepEqual(
      JSON.parse(plain.stdout).stores[0].applied.map((a: { kind: string }) => a.kind),
      ['down', 'up'],
    );
    assert.deepEqual(tables(db), ['t1']);
  });

  it('redo touches only the newest applied file; pending files stay pending; an edit of an older file is still refused', async () => {
    const { dir, db } = await appliedApp(T1, { '0002_second.sql': T2 });
    fs.writeFileSync(path.join(dir, 'migrations', 'app', '0003_third.sql'), '-- +goose Up\nCREATE TABLE t3 (id INTEGER);\n-- +goose Down\nDROP TABLE t3;\n');
    assert.equal((await cli(dir, 'redo')).code, 0);
    assert.deepEqual(tables(db), ['t1', 't2'], '0003 stays pending');
    fs.writeFileSync(path.join(dir, 'migrations', 'app', '0001_first.sql'), `${T1}\n-- a comment\n`);
    const refused = await cli(dir, 'redo');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /0001_first\.sql changed after it was applied/);
  });

  it('redo refuses, changing nothing: nothing applied, no Down, a baseline, a file gone, a code migration edited', async () => {
    const fresh = scratchApp({ app: { '0001_first.sql': T1 } });
    const none = await cli(fresh.dir, 'redo');
    assert.equal(none.code, 64);
    assert.match(none.stderr, /nothing to redo/);

    const noDown = await appliedApp('-- +goose Up\nCREATE TABLE t1 (id INTEGER);\n');
    const r1 = await cli(noDown.dir, 'redo');
    assert.equal(r1.code, 2);
    assert.match(r1.stderr, /has no '-- \+goose Down' section/);
    // Edited, and the applied text had no Down: the edited file's Down is not used in its place.
    fs.writeFileSync(noDown.file, T1);
    const r2 = await cli(noDown.dir, 'redo');
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /as it was applied/);
    assert.deepEqual(tables(noDown.db), ['t1']);

    const gone = await appliedApp(T1, { '0002_second.sql': T2 });
    fs.rmSync(gone.file);
    fs.writeFileSync(path.join(gone.dir, 'migrations', 'app', '0003_third.sql'), T1.replace(/t1/g, 't3'));
    const r3 = await cli(gone.dir, 'redo');
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /cannot redo 2 \(0002_second\.sql\): its file is gone/);
    fs.rmSync(path.join(gone.dir, 'migrations', 'app'), { recursive: true });
    fs.mkdirSync(path.join(gone.dir, 'migrations', 'app'));
    const r4 = await cli(gone.dir, 'redo');
    assert.equal(r4.code, 2, 'every file gone: the DB is newer than the app');
    assert.deepEqual(tables(gone.db), ['t1', 't2']);

    const baselined = scratchApp({ app: {} }, { app: { baseline: { file: 'baseline.sql', version: 5 } } });
    fs.writeFileSync(path.join(baselined.dir, 'baseline.sql'), 'CREATE TABLE b (id INTEGER);\n');
    assert.equal((await cli(baselined.dir, 'migrate')).code, 0);
    const r6 = await cli(baselined.dir, 'redo');
    assert.equal(r6.code, 2);
    assert.match(r6.stderr, /cannot redo the baseline \(version 5\)/);

    const code = scratchApp({
      app: { '0001_code.mjs': "export function up(db) { db.exec('CREATE TABLE c (id INTEGER)'); }\nexport function down(db) { db.exec('DROP TABLE c'); }\n" },
    });
    assert.equal((await cli(code.dir, 'migrate')).code, 0);
    assert.equal((await cli(code.dir, 'redo')).code, 0, 'an unedited code migration redoes with its own down()');
    fs.appendFileSync(path.join(code.dir, 'migrations', 'app', '0001_code.mjs'), '// edited\n');
    const r5 = await cli(code.dir, 'redo');
    assert.equal(r5.code, 2);
    assert.match(r5.stderr, /a code migration cannot be run from its recorded text/);
  });

  it('redo refuses a file applied before its text was recorded, and names the ways out', async () => {
    const { dir, db, file } = await appliedApp(T1);
    // What a DB migrated by an earlier release holds: history rows, no recorded text.
    const Database = (await import('better-sqlite3')).default;
    const handle = new Database(db);
    handle.exec('DELETE FROM cairn_migration_sources');
    handle.close();
    fs.writeFileSync(file, T2);
    const r = await cli(dir, 'redo');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /holds no copy of the text it was applied from/);
    assert.match(r.stderr, /--accept-edit 1/);
    assert.deepEqual(tables(db), ['t1']);
  });

  it('migrate --accept-edit records the file as it is and keeps the old checksum; it refuses what is not an edit', async () => {
    const { dir, db, file } = await appliedApp(T1);
    const before = (readRows(db, 'SELECT checksum FROM cairn_migrations WHERE version = 1') as { checksum: string }[])[0]!.checksum;
    assert.equal((await cli(dir, 'migrate', '--accept-edit', '1')).code, 64, 'an unedited file has no edit to accept');
    fs.writeFileSync(file, T1.replace('INTEGER PRIMARY KEY', 'INTEGER  PRIMARY KEY /* the same table */'));
    assert.equal((await cli(dir, 'migrate', '--accept-edit', '2')).code, 64, 'a version not applied');
    const dry = await cli(dir, 'migrate', '--accept-edit', '1', '--dry-run');
    assert.match(dry.stdout, /accept-edit 0001_first\.sql/);
    assert.equal((await cli(dir, 'migrate')).code, 2, 'a dry run recorded nothing');
    const accepted = await cli(dir, 'migrate', '--accept-edit', '1');
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.deepEqual(tables(db), ['t1'], 'nothing ran');
    const kept = readRows(db, 'SELECT version, name, applied_checksum FROM cairn_accepted_edits') as Record<string, unknown>[];
    assert.deepEqual(kept, [{ version: 1, name: '0001_first.sql', applied_checksum: before }]);
    assert.equal((await cli(dir, 'migrate')).code, 0, 'the edit is accepted from now on');
    assert.equal((await cli(dir, 'status', '--check')).code, 0);
  });

  it('--accept-edit needs --store when there are several stores', async () => {
    const { dir } = scratchApp({ a: { '0001_x.sql': T1 }, b: { '0001_y.sql': T2 } });
    const r = await cli(dir, 'migrate', '--accept-edit', '1');
    assert.equal(r.code, 64);
    assert.match(r.stderr, /--accept-edit needs --store/);
    assert.equal((await cli(dir, 'redo')).code, 64, 'redo too');
  });
});

describe('cairn new --ts and the lint of code migrations', () => {
  it('writes a TypeScript migration that is refused until written, then applies; lint lists it as not linted', async () => {
    const { dir } = scratchApp({ app: { '0001_first.sql': T1 } });
    const created = await cli(dir, 'new', 'backfill_names', '--ts');
    assert.equal(created.code, 0, created.stderr);
    const file = created.stdout.trim();
    assert.equal(path.basename(file), '0002_backfill_names.ts');
    assert.match(fs.readFileSync(file, 'utf8'), /export function up\(db: Db, ctx: MigrationContext\): void \{\}/);
    assert.equal((await cli(dir, 'migrate')).code, 2, 'the untouched template is refused');
    fs.writeFileSync(file, "import type { Db } from 'cairndb';\nexport function up(db: Db): void {\n  db.exec('CREATE TABLE names (n TEXT)');\n}\n");
    const lint = await cli(dir, 'lint', '--json');
    const report = JSON.parse(lint.stdout).stores[0];
    assert.deepEqual(
      report.linted.map((l: { version: number }) => l.version),
      [1],
    );
    assert.deepEqual(
      report.notLinted.map((l: { version: number }) => l.version),
      [2],
    );
    assert.match((await cli(dir, 'lint')).stdout, /not linted 0002_backfill_names\.ts: a code migration/);
    const migrated = await cli(dir, 'migrate');
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.deepEqual(tables(path.join(dir, 'app.sqlite')), ['names', 't1']);
  });
});
