import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CairnError } from '../../dist/index.js';
import { rebuildTable } from '../../dist/migrations/index.js';
import { openDatabase } from '../../dist/sqlite/open.js';
import { cli, scratchApp, readRows } from '../helpers.js';

const BASE = `CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, age TEXT, boss INTEGER REFERENCES users(id) ON DELETE SET NULL);
CREATE INDEX users_email ON users(email);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, body TEXT);
CREATE TABLE likes (post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE);
CREATE VIEW user_posts AS SELECT u.email, p.body FROM users u JOIN posts p ON p.user_id = u.id;
CREATE TABLE audit (what TEXT);
CREATE TRIGGER users_audit AFTER UPDATE OF email ON users BEGIN INSERT INTO audit VALUES ('email ' || new.email); END;
`;
const ROWS = `INSERT INTO users VALUES (1, 'a@x', '31', NULL), (2, 'b@x', 'unknown', 1), (3, 'c@x', '7', 2), (50, 'gone@x', '1', NULL);
DELETE FROM users WHERE id = 50;
INSERT INTO posts VALUES (1, 1, 'hello'), (2, 2, 'hi'), (3, 1, 'again');
INSERT INTO likes VALUES (1, 2), (2, 1), (3, 3);`;

async function migrated(): Promise<{ dir: string; file: string }> {
  const { dir } = scratchApp({ state: { '0001_base.sql': BASE } });
  assert.equal((await cli(dir, 'migrate')).code, 0);
  const file = path.join(dir, 'state.sqlite');
  const db = new Database(file);
  db.exec(ROWS);
  db.close();
  return { dir, file };
}

function schema(file: string): { type: string; name: string }[] {
  return readRows(file, "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name") as { type: string; name: string }[];
}

describe('-- +cairn rebuild in a SQL migration', () => {
  it("changes a column's type on a table with an index, a trigger, a view and cascading children: every row and object kept", async () => {
    const { dir, file } = await migrated();
    const objectsBefore = schema(file);
    fs.writeFileSync(
      path.join(dir, 'migrations', 'state', '0002_age_integer.sql'),
      `-- +cairn rebuild users
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, age INTEGER CHECK (age >= 0), boss INTEGER REFERENCES users(id) ON DELETE SET NULL);
-- +cairn copy age = CASE WHEN age GLOB '[0-9]*' THEN CAST(age AS INTEGER) END
-- +cairn end
`,
    );
    const lint = JSON.parse((await cli(dir, 'lint', '--json')).stdout).stores[0];
    assert.deepEqual(lint.findings, [], 'no cascading-drop: the file runs with foreign keys off');
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 0, r.stdout + r.stderr);

    assert.deepEqual(readRows(file, 'SELECT id, email, age, typeof(age) AS t, boss FROM users ORDER BY id'), [
      { id: 1, email: 'a@x', age: 31, t: 'integer', boss: null },
      { id: 2, email: 'b@x', age: null, t: 'null', boss: 1 },
      { id: 3, email: 'c@x', age: 7, t: 'integer', boss: 2 },
    ]);
    assert.equal((readRows(file, 'SELECT count(*) AS n FROM posts')[0] as { n: number }).n, 3, 'ON DELETE CASCADE did not fire');
    assert.equal((readRows(file, 'SELECT count(*) AS n FROM likes')[0] as { n: number }).n, 3);
    assert.deepEqual(schema(file), objectsBefore, 'the same tables, index, view and trigger');
    assert.equal((readRows(file, 'SELECT count(*) AS n FROM user_posts')[0] as { n: number }).n, 3, 'the view reads the new table');
    assert.deepEqual(readRows(file, "SELECT seq FROM sqlite_sequence WHERE name = 'users'"), [{ seq: 50 }], 'AUTOINCREMENT never reuses 50');
    assert.deepEqual(
      readRows(file, 'PRAGMA foreign_key_list(posts)').map((fk) => (fk as { table: string }).table),
      ['users'],
    );

    // The trigger and the CHECK work on the rebuilt table.
    const db = openDatabase(file);
    db.prepare("UPDATE users SET email = 'a2@x' WHERE id = 1").run();
    assert.throws(() => db.prepare('UPDATE users SET age = -1 WHERE id = 1').run(), /CHECK constraint failed/);
    assert.equal(db.pragmaValue('foreign_keys'), 1, "the store's connection has foreign keys on again");
    db.close();
    assert.deepEqual(readRows(file, 'SELECT what FROM audit'), [{ what: 'email a2@x' }]);
  });

  it('rolls back when the new shape breaks a foreign key, leaving the database as it was', async () => {
    const { dir, file } = await migrated();
    const before = readRows(file, 'SELECT * FROM posts ORDER BY id');
    const schemaBefore = readRows(file, 'SELECT sql FROM sqlite_master ORDER BY name');
    fs.writeFileSync(
      path.join(dir, 'migrations', 'state', '0002_posts_fk.sql'),
      `CREATE TABLE topics (id INTEGER PRIMARY KEY);
-- +cairn rebuild posts
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, body TEXT, topic_id INTEGER NOT NULL DEFAULT 1 REFERENCES topics(id));
-- +cairn end
`,
    );
    const r = await cli(dir, 'migrate', '--json');
    assert.equal(r.code, 1);
    const failed = JSON.parse(r.stdout).stores[0].failed;
    assert.match(failed.message, /foreign keys point at nothing: posts rowid 1 → topics/);
    assert.deepEqual(readRows(file, 'SELECT * FROM posts ORDER BY id'), before);
    assert.deepEqual(readRows(file, 'SELECT sql FROM sqlite_master ORDER BY name'), schemaBefore, 'topics was rolled back with it');
    assert.deepEqual(readRows(file, 'SELECT version FROM cairn_migrations'), [{ version: 1 }]);
  });

  it('refuses to leave a column out unless the block says -- +cairn drop', async () => {
    const { dir, file } = await migrated();
    const block = (drop: string): string => `-- +goose Up
-- +cairn rebuild posts
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE);
${drop}-- +cairn end
`;
    const withView = (drop: string): string =>
      block(drop).replace('-- +goose Up\n', '-- +goose Up\nDROP VIEW user_posts;\n') +
      'CREATE VIEW user_posts AS SELECT u.email, p.id FROM users u JOIN posts p ON p.user_id = u.id;\n';
    const target = path.join(dir, 'migrations', 'state', '0002_posts.sql');
    fs.writeFileSync(target, block(''));
    const refused = await cli(dir, 'migrate');
    assert.equal(refused.code, 2, 'the lint runs the rebuild in its shadow schema and refuses first');
    assert.match(refused.stderr, /0002_posts\.sql:2: \[statement-fails\] the rebuild of posts fails: rebuild of posts leaves out body/);
    fs.writeFileSync(target, block('-- +cairn drop body\n'));
    const broken = await cli(dir, 'migrate');
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /rebuild of posts breaks view user_posts \(no such column: p\.body\)/);
    fs.writeFileSync(target, withView('-- +cairn drop body\n'));
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      readRows(file, 'SELECT name FROM pragma_table_info(?)'.replace('?', "'posts'")).map((c) => (c as { name: string }).name),
      ['id', 'user_id'],
    );
    assert.equal((readRows(file, 'SELECT count(*) AS n FROM likes')[0] as { n: number }).n, 3);
  });

  it('names the line of a malformed block', async () => {
    const { dir } = await migrated();
    fs.writeFileSync(path.join(dir, 'migrations', 'state', '0002_x.sql'), 'SELECT 1;\n-- +cairn rebuild users\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n');
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /0002_x\.sql:\d+: the rebuild block of users opened on line 2 has no -- \+cairn end/);
  });
});

describe('rebuildTable() from the library', () => {
  it('outside a transaction: turns foreign keys off around its own transaction and keeps every child row', async () => {
    const { file } = await migrated();
    const db = openDatabase(file);
    try {
      assert.equal(db.pragmaValue('foreign_keys'), 1);
      const result = rebuildTable(db, 'users', {
        columns: {
          id: 'INTEGER PRIMARY KEY AUTOINCREMENT',
          email: 'TEXT NOT NULL',
          age: 'INTEGER',
          boss: 'INTEGER REFERENCES users(id) ON DELETE SET NULL',
          plan: "TEXT NOT NULL DEFAULT 'free'",
        },
        constraints: ['UNIQUE (email)'],
        copy: { age: 'CAST(age AS INTEGER)' },
      });
      assert.deepEqual(result.added, ['plan']);
      assert.equal(result.rows, 3);
      assert.deepEqual(result.recreated, ['index users_email', 'trigger users_audit']);
      assert.equal(db.pragmaValue('foreign_keys'), 1, 'put back');
      assert.equal(db.prepare('SELECT count(*) AS n FROM posts').get<{ n: number }>()?.n, 3);
      assert.throws(() => db.prepare("INSERT INTO users (email) VALUES ('a@x')").run(), /UNIQUE constraint failed/);
    } finally {
      db.close();
    }
  });

  it('checks the keys it touches even on a connection with foreign keys off, and rolls back', async () => {
    const { file } = await migrated();
    const db = openDatabase(file, { pragmas: { foreign_keys: false } });
    try {
      db.exec('CREATE TABLE teams (id INTEGER PRIMARY KEY)');
      assert.throws(
        () =>
          rebuildTable(db, 'users', {
            create:
              'CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, age TEXT, boss INTEGER REFERENCES users(id), team INTEGER NOT NULL DEFAULT 7 REFERENCES teams(id))',
          }),
        /foreign keys point at nothing: users rowid 1 → teams/,
      );
      assert.equal(db.prepare("SELECT count(*) AS n FROM pragma_table_info('users') WHERE name = 'team'").get<{ n: number }>()?.n, 0, 'rolled back');
    } finally {
      db.close();
    }
  });

  it('inside a transaction with foreign keys on: refuses, rather than let DROP TABLE cascade', async () => {
    const { file } = await migrated();
    const db = openDatabase(file);
    try {
      db.exec('BEGIN');
      assert.throws(
        () => rebuildTable(db, 'users', { columns: { id: 'INTEGER PRIMARY KEY', email: 'TEXT', age: 'TEXT', boss: 'INTEGER' } }),
        (error: unknown) => error instanceof CairnError && error.code === 'E_USAGE' && /cascade/.test(error.message),
      );
      db.exec('ROLLBACK');
      assert.equal(db.prepare('SELECT count(*) AS n FROM posts').get<{ n: number }>()?.n, 3);
    } finally {
      db.close();
    }
  });
});
