import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, openStores } from '../../dist/index.js';
import { cli, scratchApp } from '../helpers.js';

interface Finding {
  rule: string;
  severity: 'error' | 'warning';
  file: string;
  line: number | null;
  section: 'up' | 'down';
  message: string;
  fix: string;
}

const BASE = `CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, body TEXT);
CREATE INDEX posts_user ON posts(user_id);
CREATE VIEW user_posts AS SELECT u.email, p.body FROM users u JOIN posts p ON p.user_id = u.id;
`;
const ROWS = `INSERT INTO users VALUES (1, 'a@x', 'Ann'), (2, 'b@x', 'Bob'), (3, 'a@x', 'Ann again');
INSERT INTO posts VALUES (1, 1, 'hello'), (2, 2, 'hi'), (3, 1, 'again');`;

/**
 * A store migrated through 0001 (BASE) holding a few rows, then `pending`
 * added as 0002: `cairn lint --json` against that database.
 */
async function lintPending(
  pending: string,
  options: { storeExtra?: Record<string, unknown> } = {},
): Promise<{ findings: Finding[]; code: number; dir: string }> {
  const { dir } = scratchApp({ state: { '0001_base.sql': BASE } }, { state: options.storeExtra ?? {} });
  assert.equal((await cli(dir, 'migrate')).code, 0);
  const db = new Database(path.join(dir, 'state.sqlite'));
  db.exec(ROWS);
  db.close();
  fs.writeFileSync(path.join(dir, 'migrations', 'state', '0002_change.sql'), pending);
  const r = await cli(dir, 'lint', '--json');
  const out = JSON.parse(r.stdout) as { stores: { findings: Finding[] }[] };
  return { findings: out.stores[0]?.findings ?? [], code: r.code, dir };
}

function rules(findings: Finding[]): string[] {
  return findings.map((f) => `${f.severity}:${f.rule}`);
}

describe('lint rules: each fires where it should and stays quiet where it should not', () => {
  it('statement-fails: a statement SQLite cannot parse, or a data statement naming what does not exist; migrate applies no file', async () => {
    for (const [pending, message] of [
      ['CREATE TABEL u (id INTEGER);\n', /syntax error/],
      ['INSERT INTO users (id, email) VALUES (9, 9;\n', /incomplete input|syntax error/],
      ['INSERT INTO acounts (id) VALUES (1);\n', /no such table: acounts/],
      ["UPDATE users SET emial = 'x';\n", /no such column: emial/],
    ] as const) {
      const bad = await lintPending(`CREATE TABLE fine (x);\n${pending}`);
      assert.deepEqual(rules(bad.findings), ['error:statement-fails'], pending);
      assert.match(bad.findings[0]?.message ?? '', message);
      assert.equal(bad.findings[0]?.line, 2, 'the line of the statement');
      // One more file after it: migrate must refuse before applying the good one either.
      fs.writeFileSync(path.join(bad.dir, 'migrations', 'state', '0003_more.sql'), 'CREATE TABLE more (x);\n');
      fs.renameSync(path.join(bad.dir, 'migrations', 'state', '0002_change.sql'), path.join(bad.dir, 'migrations', 'state', '0004_change.sql'));
      const m = await cli(bad.dir, 'migrate');
      assert.equal(m.code, 2, m.stdout + m.stderr);
      const db = new Database(path.join(bad.dir, 'state.sqlite'), { readonly: true });
      assert.deepEqual(db.prepare('SELECT version FROM cairn_migrations').pluck().all(), [1], 'nothing applied');
      db.close();
    }
    // A data statement is compiled, not run: a constraint it would break on the store's rows is not the lint's to know.
    const data = await lintPending("INSERT INTO users (id, email) VALUES (1, 'dup@x');\n");
    assert.deepEqual(data.findings, []);
  });

  it('statement-fails: an ALTER of a table nothing in the history creates', async () => {
    const bad = await lintPending('ALTER TABLE accounts ADD COLUMN plan TEXT;\n');
    assert.deepEqual(rules(bad.findings), ['error:statement-fails']);
    assert.match(bad.findings[0]?.message ?? '', /no such table: accounts/);
    assert.equal(bad.code, 1);
    const good = await lintPending('ALTER TABLE users ADD COLUMN plan TEXT;\n');
    assert.deepEqual(good.findings, []);
    assert.equal(good.code, 0);
  });

  it('add-column-not-null: NOT NULL without a default on a table that existed before the file', async () => {
    const bad = await lintPending('-- a comment\nALTER TABLE users ADD COLUMN age INTEGER NOT NULL;\n');
    assert.deepEqual(rules(bad.findings), ['error:add-column-not-null']);
    assert.equal(bad.findings[0]?.line, 2, 'the line the statement starts on, below its comment');
    assert.match(bad.findings[0]?.message ?? '', /3 rows here/);
    assert.match(bad.findings[0]?.fix ?? '', /DEFAULT 0/);
    assert.deepEqual((await lintPending('ALTER TABLE users ADD COLUMN age INTEGER NOT NULL DEFAULT 0;\n')).findings, []);
    assert.deepEqual(
      (await lintPending('CREATE TABLE tags (id INTEGER PRIMARY KEY);\nALTER TABLE tags ADD COLUMN label TEXT NOT NULL;\n')).findings,
      [],
      'a table made in the same file is empty when the column arrives',
    );
  });

  it('add-column-volatile-default: CURRENT_TIMESTAMP or an expression as the default', async () => {
    assert.deepEqual(rules((await lintPending('ALTER TABLE users ADD COLUMN created TEXT DEFAULT CURRENT_TIMESTAMP;\n')).findings), [
      'error:add-column-volatile-default',
    ]);
    assert.deepEqual(rules((await lintPending("ALTER TABLE users ADD COLUMN created TEXT DEFAULT (datetime('now'));\n")).findings), [
      'error:add-column-volatile-default',
    ]);
    assert.deepEqual((await lintPending("ALTER TABLE users ADD COLUMN created TEXT DEFAULT '1970-01-01';\n")).findings, []);
    assert.deepEqual((await lintPending('ALTER TABLE users ADD COLUMN n INTEGER DEFAULT (-1);\n')).findings, [], 'a parenthesised constant is fine');
  });

  it('unique-index-existing-data: a warning, and an error when this database already holds duplicates', async () => {
    const dup = await lintPending('CREATE UNIQUE INDEX users_email ON users(email);\n');
    assert.deepEqual(rules(dup.findings), ['error:unique-index-existing-data']);
    assert.match(dup.findings[0]?.message ?? '', /email = "a@x" appears 2 times/);
    const maybe = await lintPending('CREATE UNIQUE INDEX users_name ON users(name);\n');
    assert.deepEqual(rules(maybe.findings), ['warning:unique-index-existing-data']);
    assert.deepEqual((await lintPending('CREATE INDEX users_email ON users(email);\n')).findings, []);
    assert.deepEqual((await lintPending('CREATE TABLE tags (label TEXT);\nCREATE UNIQUE INDEX tags_label ON tags(label);\n')).findings, []);
  });

  it('foreign-keys-pragma-in-transaction: ignored inside the transaction, honoured in a NO TRANSACTION file', async () => {
    const bad = await lintPending('PRAGMA foreign_keys = OFF;\nUPDATE users SET name = upper(name);\nPRAGMA foreign_keys = ON;\n');
    assert.deepEqual(rules(bad.findings), ['error:foreign-keys-pragma-in-transaction', 'error:foreign-keys-pragma-in-transaction']);
    assert.deepEqual([bad.findings[0]?.line, bad.findings[1]?.line], [1, 3]);
    const good = await lintPending(
      '-- +goose NO TRANSACTION\n-- +goose Up\nPRAGMA foreign_keys = OFF;\nUPDATE users SET name = upper(name);\nPRAGMA foreign_keys = ON;\n',
    );
    assert.deepEqual(good.findings, []);
  });

  it('cascading-drop: the hand-written 12-step rebuild of a parent empties its children, and is refused', async () => {
    const rebuild = `PRAGMA foreign_keys = OFF;
CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT, plan TEXT NOT NULL DEFAULT 'free');
INSERT INTO users_new (id, email, name) SELECT id, email, name FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
PRAGMA foreign_keys = ON;
`;
    // As SQLite's own rename would refuse with a view pointing at the dropped table, the view goes first.
    const fullRebuild = `DROP VIEW user_posts;\n${rebuild}CREATE VIEW user_posts AS SELECT u.email, p.body FROM users u JOIN posts p ON p.user_id = u.id;\n`;
    const halfway = await lintPending(rebuild);
    assert.ok(rules(halfway.findings).includes('error:statement-fails'), 'the rename fails while the view points at the dropped table');
    const bad = await lintPending(fullRebuild);
    assert.deepEqual(
      rules(bad.findings),
      ['error:foreign-keys-pragma-in-transaction', 'error:cascading-drop', 'error:foreign-keys-pragma-in-transaction'],
      'a rebuild is not a dropped table, and the view it re-creates is not broken',
    );
    assert.equal(bad.findings[1]?.line, 5);

    // The finding is real: forced through, the migration "succeeds" and the posts are gone.
    const forced = await cli(bad.dir, 'migrate', '--force');
    assert.equal(forced.code, 0, forced.stderr);
    const db = new Database(path.join(bad.dir, 'state.sqlite'), { readonly: true });
    assert.equal((db.prepare('SELECT count(*) AS n FROM posts').get() as { n: number }).n, 0, 'ON DELETE CASCADE emptied posts');
    db.close();

    // The same rebuild with foreign keys off for the store cascades nothing.
    assert.ok(!rules((await lintPending(fullRebuild, { storeExtra: { pragmas: { foreign_keys: false } } })).findings).includes('error:cascading-drop'));
    // A child without a cascading action is not a cascade.
    assert.deepEqual(rules((await lintPending('CREATE TABLE notes (id INTEGER PRIMARY KEY);\nDROP TABLE notes;\n')).findings), []);
  });

  it('needs-no-transaction: VACUUM and transaction control in a file that runs in a transaction', async () => {
    assert.deepEqual(rules((await lintPending('VACUUM;\n')).findings), ['error:needs-no-transaction']);
    assert.deepEqual(rules((await lintPending('BEGIN;\nUPDATE users SET name = name;\nCOMMIT;\n')).findings), [
      'error:needs-no-transaction',
      'error:needs-no-transaction',
    ]);
    assert.deepEqual((await lintPending('-- +goose NO TRANSACTION\n-- +goose Up\nVACUUM;\n')).findings, []);
    assert.deepEqual((await lintPending('SAVEPOINT s;\nUPDATE users SET name = name;\nRELEASE s;\n')).findings, [], 'savepoints nest');
  });

  it('breaks-dependents: dropping a table a view reads leaves the view failing on every use', async () => {
    const bad = await lintPending('DROP TABLE posts;\n');
    assert.deepEqual(rules(bad.findings).sort(), ['error:breaks-dependents', 'warning:drop-table']);
    assert.match(bad.findings.find((f) => f.rule === 'breaks-dependents')?.message ?? '', /view user_posts/);
    assert.deepEqual(rules((await lintPending('DROP VIEW user_posts;\nDROP TABLE posts;\n')).findings), ['warning:drop-table']);
    // A rename SQLite rewrites the view for is fine.
    assert.deepEqual((await lintPending('ALTER TABLE posts RENAME COLUMN body TO text;\n')).findings, []);
  });

  it('drop-table and drop-column: warnings, silenced by -- cairn:nolint', async () => {
    const t = await lintPending('DROP VIEW user_posts;\nDROP TABLE posts;\n');
    assert.match(t.findings[0]?.message ?? '', /every row in it \(3 rows here\)/);
    assert.equal(t.code, 0, 'warnings alone exit 0');
    assert.deepEqual((await lintPending('DROP VIEW user_posts;\n-- cairn:nolint drop-table\nDROP TABLE posts;\n')).findings, []);
    assert.deepEqual(rules((await lintPending('ALTER TABLE users DROP COLUMN name;\n')).findings), ['warning:drop-column']);
    assert.deepEqual((await lintPending('ALTER TABLE users DROP COLUMN name; -- cairn:nolint\n')).findings, []);
    assert.deepEqual((await lintPending('CREATE TABLE scratch (x);\nDROP TABLE scratch;\n')).findings, [], 'a table made and dropped in one file');
  });

  it('rebuild-drops-columns: a rebuild that leaves a column behind', async () => {
    const lossy = `CREATE TABLE posts_new (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE);
INSERT INTO posts_new SELECT id, user_id FROM posts;
DROP VIEW user_posts;
DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;
`;
    assert.deepEqual(rules((await lintPending(lossy)).findings), ['warning:rebuild-drops-columns']);
    const whole = lossy.replace('ON DELETE CASCADE)', 'ON DELETE CASCADE, body TEXT)').replace('SELECT id, user_id', 'SELECT id, user_id, body');
    assert.deepEqual((await lintPending(whole)).findings, []);
  });

  it('if-not-exists-skips: IF NOT EXISTS over an object that exists with another shape', async () => {
    const bad = await lintPending('CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT, plan TEXT);\n');
    assert.deepEqual(rules(bad.findings), ['warning:if-not-exists-skips']);
    assert.deepEqual((await lintPending('CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);\n')).findings, []);
  });

  it('if-not-exists-skips reads the name of a CREATE VIRTUAL TABLE too', async () => {
    const bad = await lintPending('CREATE VIRTUAL TABLE docs USING fts5(body);\nCREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(body, title);\n');
    assert.deepEqual(rules(bad.findings), ['warning:if-not-exists-skips']);
    assert.equal(bad.findings[0]?.line, 2);
    assert.deepEqual(
      (await lintPending('CREATE VIRTUAL TABLE docs USING fts5(body);\nCREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(body);\n')).findings,
      [],
    );
  });

  it('Down sections are judged against what their Up leaves, at warning level only; goose files report real line numbers', async () => {
    const file = `-- +goose Up
CREATE TABLE tags (id INTEGER PRIMARY KEY, post_id INTEGER REFERENCES posts(id) ON DELETE CASCADE);

-- +goose Down
-- +goose StatementBegin
DROP TABLE posts;
-- +goose StatementEnd
DROP TABLE tags;
`;
    const r = await lintPending(file);
    const down = r.findings.filter((f) => f.section === 'down');
    assert.ok(down.length > 0);
    assert.ok(down.every((f) => f.severity === 'warning'));
    const cascade = down.find((f) => f.rule === 'cascading-drop');
    assert.equal(cascade?.line, 6, 'the line inside StatementBegin');
    assert.equal(r.code, 0);
  });
});

describe('the lint gate in migrate and openStores', () => {
  it('migrate refuses an error-level finding before writing anything (exit 2); --force applies it', async () => {
    const { dir } = await lintPending('ALTER TABLE users ADD COLUMN age INTEGER NOT NULL;\n');
    const before = fs.readFileSync(path.join(dir, 'state.sqlite'));
    const refused = await cli(dir, 'migrate');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /0002_change\.sql:1: \[add-column-not-null\]/);
    assert.match(refused.stderr, /--force/);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'state.sqlite')), before, 'nothing written');
    const json = await cli(dir, 'migrate', '--json');
    assert.equal(JSON.parse(json.stdout).error.code, 'E_LINT');

    const dry = await cli(dir, 'migrate', '--dry-run');
    assert.equal(dry.code, 0);
    assert.match(dry.stdout, /lint 0002_change\.sql:1 \[add-column-not-null\]/);

    // SQLite agrees with the lint: forced, the file fails on the rows and is rolled back.
    const forced = await cli(dir, 'migrate', '--force');
    assert.equal(forced.code, 1);
    assert.match(forced.stdout, /Cannot add a NOT NULL column/);
  });

  it('warnings do not stop migrate; they are shown with the result', async () => {
    const { dir } = await lintPending('ALTER TABLE users DROP COLUMN name;\n');
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /lint 0002_change\.sql:1 \[drop-column\]/);
  });

  it('openStores refuses with E_LINT, and opens with force: true', async () => {
    const { dir } = await lintPending('VACUUM;\n');
    const registry = await loadConfig({ cwd: dir });
    await assert.rejects(openStores(registry), (error: Error & { code?: string }) => error.code === 'E_LINT' && /needs-no-transaction/.test(error.message));
    // Forced, the VACUUM meets SQLite's own refusal: the lint said so first.
    await assert.rejects(openStores(registry, { force: true }), /cannot VACUUM from within a transaction/);
  });

  it('a fresh database is linted after its baseline, and --all lints every file from an empty schema', async () => {
    const { dir } = scratchApp({ state: { '0001_base.sql': BASE, '0002_bad.sql': 'ALTER TABLE users ADD COLUMN age INTEGER NOT NULL;\n' } });
    const r = await cli(dir, 'lint', '--json');
    const report = JSON.parse(r.stdout).stores[0];
    assert.equal(report.database, null);
    assert.deepEqual(
      report.linted.map((l: { name: string }) => l.name),
      ['0001_base.sql', '0002_bad.sql'],
    );
    assert.deepEqual(
      report.findings.map((f: Finding) => f.rule),
      ['add-column-not-null'],
      'an empty table here, but every user has rows',
    );
    const human = await cli(dir, 'lint');
    assert.equal(human.code, 1);
    assert.match(human.stdout, /0002_bad\.sql:1 \[add-column-not-null\]/);
    assert.match(human.stdout, /fix: give it a constant default/);
    assert.equal((await cli(dir, 'migrate')).code, 2, 'refused on a fresh DB too: it would fail for every user with rows');
    assert.equal(fs.existsSync(path.join(dir, 'state.sqlite')), false, 'nothing created');
  });
});

describe('lint: a Down that undoes its own Up', () => {
  it('is not a destructive change: DROP TABLE of the table the Up made, DROP COLUMN of the column it added', async () => {
    const { dir } = scratchApp({
      state: {
        '0001_base.sql': BASE,
        '0002_tags.sql':
          '-- +goose Up\nCREATE TABLE tags (id INTEGER PRIMARY KEY);\nALTER TABLE users ADD COLUMN plan TEXT;\n-- +goose Down\nALTER TABLE users DROP COLUMN plan;\nDROP TABLE tags;\n',
        '0003_drop.sql': '-- +goose Up\nALTER TABLE users ADD COLUMN x TEXT;\n-- +goose Down\nDROP TABLE posts;\n',
      },
    });
    const r = JSON.parse((await cli(dir, 'lint', '--json')).stdout).stores[0];
    assert.deepEqual(
      r.findings.map((f: Finding) => `${path.basename(f.file)}:${f.line} ${f.severity}:${f.rule}`),
      ['0003_drop.sql:4 warning:breaks-dependents', '0003_drop.sql:4 warning:drop-table'],
      'posts is a child (nothing cascades from it), and a Down only ever warns',
    );
  });
});
