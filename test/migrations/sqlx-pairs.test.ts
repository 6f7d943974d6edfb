// sqlx's reversible layout (`sqlx migrate add -r`: N_name.up.sql beside
// N_name.down.sql) read as one migration, through the CLI: applied, reverted
// with --to, guarded (an edited down file is an edit), redone, adopted from
// sqlx's own history; and the mistakes of a half pair refused by name.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cli, readRows, scratchApp } from '../helpers.js';

const PAIRS = {
  '20240101000001_users.up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n',
  '20240101000001_users.down.sql': 'DROP TABLE users;\n',
  '20240101000002_posts.up.sql':
    'CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));\nCREATE INDEX posts_user ON posts (user_id);\n',
  '20240101000002_posts.down.sql': 'DROP INDEX posts_user;\nDROP TABLE posts;\n',
};

const tables = (file: string): string[] =>
  (
    readRows(file, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'cairn_%' AND name NOT LIKE '\\_sqlx%' ESCAPE '\\' ORDER BY 1") as {
      name: string;
    }[]
  ).map((r) => r.name);

describe('sqlx up/down pairs', () => {
  it('apply as one migration each, revert with the down file, and an edited down file is an edit', async () => {
    const { dir } = scratchApp({ state: { ...PAIRS, '20240101000003_simple.sql': 'CREATE TABLE tags (name TEXT);\n' } });
    const db = path.join(dir, 'state.sqlite');
    const r = await cli(dir, 'migrate', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      JSON.parse(r.stdout).stores[0].applied.map((a: { version: number; name: string }) => [a.version, a.name]),
      [
        [20240101000001, '20240101000001_users.up.sql'],
        [20240101000002, '20240101000002_posts.up.sql'],
        [20240101000003, '20240101000003_simple.sql'],
      ],
    );
    assert.deepEqual(tables(db), ['posts', 'tags', 'users']);
    fs.rmSync(path.join(dir, 'migrations', 'state', '20240101000003_simple.sql'));
    fs.writeFileSync(path.join(dir, 'migrations', 'state', '20240101000003_simple.up.sql'), 'CREATE TABLE tags (name TEXT);\n');
    fs.writeFileSync(path.join(dir, 'migrations', 'state', '20240101000003_simple.down.sql'), 'DROP TABLE tags;\n');
    assert.equal((await cli(dir, 'migrate')).code, 2, 'a file turned into a pair is an edit');
    assert.equal((await cli(dir, 'migrate', '--store', 'state', '--accept-edit', '20240101000003')).code, 0);

    const down = await cli(dir, 'migrate', '--store', 'state', '--to', '20240101000001');
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(tables(db), ['users']);
    assert.equal((await cli(dir, 'migrate')).code, 0);

    const downFile = path.join(dir, 'migrations', 'state', '20240101000002_posts.down.sql');
    fs.writeFileSync(downFile, 'DROP TABLE posts;\n');
    const edited = await cli(dir, 'status');
    assert.equal(edited.code, 2, 'the checksum covers the down file');
    assert.match(edited.stdout, /edited\s+20240101000002_posts\.up\.sql/);
    fs.writeFileSync(downFile, PAIRS['20240101000002_posts.down.sql']);
    assert.equal((await cli(dir, 'status', '--check')).code, 0);
  });

  it('redo of an edited pair runs the down file as it was applied', async () => {
    const { dir } = scratchApp({ state: PAIRS });
    const db = path.join(dir, 'state.sqlite');
    assert.equal((await cli(dir, 'migrate')).code, 0);
    const folder = path.join(dir, 'migrations', 'state');
    fs.writeFileSync(path.join(folder, '20240101000002_posts.up.sql'), 'CREATE TABLE articles (id INTEGER PRIMARY KEY);\n');
    fs.writeFileSync(path.join(folder, '20240101000002_posts.down.sql'), 'DROP TABLE articles;\n');
    const dry = await cli(dir, 'redo', '--dry-run');
    assert.match(dry.stdout, /down\s+20240101000002_posts\.up\.sql\n\s+DROP INDEX posts_user;\n\s+DROP TABLE posts;/);
    const redo = await cli(dir, 'redo');
    assert.equal(redo.code, 0, redo.stderr);
    assert.deepEqual(tables(db), ['articles', 'users']);
  });

  it('half pairs and clashes are refused naming the files; a down file with its own Down section too', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ '0001_a.down.sql': 'DROP TABLE a;\n' }, /0001_a\.down\.sql: a down file with no 0001_a\.up\.sql beside it/],
      [{ '0001_a.up.sql': 'CREATE TABLE a (x);\n', '0001_b.down.sql': 'DROP TABLE b;\n' }, /0001_b\.down\.sql and 0001_a\.up\.sql .* both have version 1/],
      [{ '0001_a.sql': 'CREATE TABLE a (x);\n', '0001_a.down.sql': 'DROP TABLE a;\n' }, /pairs only with the \.up\.sql file of its name \(0001_a\.up\.sql\)/],
      [
        { '0001_a.up.sql': '-- +goose Up\nCREATE TABLE a (x);\n-- +goose Down\nDROP TABLE a;\n', '0001_a.down.sql': 'DROP TABLE a;\n' },
        /has a '-- \+goose Down' section and a down file beside it/,
      ],
      [
        { '0001_a.up.sql': 'CREATE TABLE a (x);\n', '0001_a.down.sql': 'DROP TABLE a;\n', '0001_A.down.sql': 'DROP TABLE a;\n' },
        /are both down files of 0001_a\.up\.sql/,
      ],
      [{ '0001_a.up.sql': 'CREATE TABLE a (x);\n', '0001_b.up.sql': 'CREATE TABLE b (x);\n' }, /both have version 1/],
    ];
    for (const [files, message] of cases) {
      const { dir } = scratchApp({ state: files });
      for (const argv of [['migrate'], ['status'], ['lint']]) {
        const r = await cli(dir, ...argv);
        assert.equal(r.code, 2, `${Object.keys(files).join(' + ')}: ${argv[0]}`);
        assert.match(r.stderr + r.stdout, message);
      }
      assert.equal(fs.existsSync(path.join(dir, 'state.sqlite')), false);
    }
  });

  it('a DB sqlx migrated is adopted against its sha384 of each up file, then migrates and redoes with cairn', async () => {
    const { dir } = scratchApp({ state: PAIRS });
    const file = path.join(dir, 'state.sqlite');
    const db = new Database(file);
    db.exec(
      'CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)',
    );
    for (const name of ['20240101000001_users.up.sql', '20240101000002_posts.up.sql'] as const) db.exec(PAIRS[name]);
    const insert = db.prepare('INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (?, ?, 1, ?, 1000)');
    insert.run(20240101000001, 'users', createHash('sha384').update(PAIRS['20240101000001_users.up.sql']).digest());
    insert.run(20240101000002, 'posts', createHash('sha384').update(PAIRS['20240101000002_posts.up.sql']).digest());
    db.close();
    const adopted = await cli(dir, 'adopt', '--store', 'state', '--from', 'sqlx', '--json');
    assert.equal(adopted.code, 0, adopted.stderr);
    assert.deepEqual(
      JSON.parse(adopted.stdout).adopted.map((a: { checked: string }) => a.checked),
      ['sha384', 'sha384'],
    );
    assert.equal((await cli(dir, 'status', '--check')).code, 0);
    fs.writeFileSync(path.join(dir, 'migrations', 'state', '20240101000002_posts.down.sql'), 'DROP TABLE posts;\n');
    const redo = await cli(dir, 'redo');
    assert.equal(redo.code, 0, `the adopted text is known, since sqlx's checksum proved it: ${redo.stderr}`);
    assert.deepEqual(tables(file), ['posts', 'users']);
  });
});
