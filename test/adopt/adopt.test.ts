import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { flywayChecksum } from '../../dist/adopt/flyway-checksum.js';
import { cli, readRows, scratchApp } from '../helpers.js';

const FILES = {
  '0001_users.sql': '-- +goose Up\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n-- +goose Down\nDROP TABLE users;\n',
  '0002_posts.sql': '-- +goose Up\nCREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));\n-- +goose Down\nDROP TABLE posts;\n',
  '0003_tags.sql': '-- +goose Up\nCREATE TABLE tags (name TEXT PRIMARY KEY);\n-- +goose Down\nDROP TABLE tags;\n',
};

/** A DB as another tool left it: the schema of files 1 and 2, plus that tool's history written by `history`. */
function foreignDb(dir: string, history: (db: Database.Database) => void): string {
  const file = path.join(dir, 'state.sqlite');
  const db = new Database(file);
  db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));');
  db.exec("INSERT INTO users VALUES (1, 'a@x'); INSERT INTO posts VALUES (1, 1);");
  history(db);
  db.close();
  return file;
}

// goose v3, dialect sqlite3: the table goose creates, its version-0 row, one row per version applied.
const GOOSE_TABLE = `CREATE TABLE goose_db_version (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		version_id INTEGER NOT NULL,
		is_applied INTEGER NOT NULL,
		tstamp TIMESTAMP DEFAULT (datetime('now'))
	)`;

// sqlx-sqlite's ensure_migrations_table.
const SQLX_TABLE = `CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
)`;

// Flyway's createMetaDataTable.sql for SQLite.
const FLYWAY_TABLE = `CREATE TABLE "flyway_schema_history" (
    "installed_rank" INT NOT NULL PRIMARY KEY,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INT,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),
    "execution_time" INT NOT NULL,
    "success" BOOLEAN NOT NULL
);
CREATE INDEX "flyway_schema_history_s_idx" ON "flyway_schema_history" ("success")`;

const history = (file: string) => readRows(file, 'SELECT version, name FROM cairn_migrations ORDER BY version');
const hasCairnHistory = (file: string) => readRows(file, "SELECT name FROM sqlite_master WHERE name = 'cairn_migrations'").length > 0;

describe('cairn adopt', () => {
  it('goose: maps goose_db_version (newest row per version wins) onto the files, keeps goose_db_version, then migrate goes on from there', async () => {
    const { dir } = scratchApp({ state: FILES });
    const file = foreignDb(dir, (db) => {
      db.exec(GOOSE_TABLE);
      // version 0 row; 1, 2, 3 applied; 3 rolled back the pre-v3 way (a row with is_applied = 0).
      db.exec(
        "INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES (0, 1, '2024-01-01 10:00:00'), (1, 1, '2024-01-01 10:00:01'), (2, 1, '2024-01-02 09:30:00'), (3, 1, '2024-01-03 00:00:00'), (3, 0, '2024-01-03 00:00:05')",
      );
    });
    const refused = await cli(dir, 'migrate');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /carries goose's history: take it over with `cairn adopt --store state --from goose`/);

    const dry = await cli(dir, 'adopt', '--store', 'state', '--from', 'goose', '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(
      JSON.parse(dry.stdout).adopted.map((a: { name: string }) => a.name),
      ['0001_users.sql', '0002_posts.sql'],
    );
    assert.equal(hasCairnHistory(file), false, '--dry-run writes nothing');

    const r = await cli(dir, 'adopt', '--store', 'state', '--from', 'goose');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /adopted 2 versions from goose \(goose_db_version\), which stays in place/);
    assert.match(r.stdout, /pending +0003_tags.sql/);
    assert.deepEqual(readRows(file, 'SELECT version, name, applied_at FROM cairn_migrations ORDER BY version'), [
      { version: 1, name: '0001_users.sql', applied_at: '2024-01-01T10:00:01.000Z' },
      { version: 2, name: '0002_posts.sql', applied_at: '2024-01-02T09:30:00.000Z' },
    ]);
    assert.equal(readRows(file, 'SELECT * FROM goose_db_version').length, 5, 'goose_db_version untouched');

    const again = await cli(dir, 'adopt', '--store', 'state', '--from', 'goose');
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already adopted/);
    const up = await cli(dir, 'migrate');
    assert.equal(up.code, 0, up.stderr);
    assert.deepEqual(history(file), [
      { version: 1, name: '0001_users.sql' },
      { version: 2, name: '0002_posts.sql' },
      { version: 3, name: '0003_tags.sql' },
    ]);
    assert.deepEqual(readRows(file, 'SELECT count(*) AS n FROM users'), [{ n: 1 }], 'rows kept');
    assert.match((await cli(dir, 'adopt', '--store', 'state', '--from', 'goose')).stdout, /already adopted/, 'adopted, then migrated on: still a no-op');
  });

  it('goose: an applied version without a file and a file goose skipped are both listed; nothing written, exit 2', async () => {
    const { dir } = scratchApp({ state: FILES });
    const file = foreignDb(dir, (db) => {
      db.exec(GOOSE_TABLE);
      db.exec('INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1), (1, 1), (3, 1), (7, 1)');
    });
    const r = await cli(dir, 'adopt', '--store', 'state', '--from', 'goose', '--json');
    assert.equal(r.code, 2);
    const mismatches = JSON.parse(r.stdout).error.details.mismatches as { version: string; problem: string }[];
    assert.deepEqual(
      mismatches.map((m) => m.version),
      ['7', '2'],
    );
    assert.match(mismatches[0]!.problem, /goose applied goose version 7, but the store has no file numbered 7/);
    assert.match(mismatches[1]!.problem, /goose never applied it, yet applied later versions/);
    assert.match(r.stderr, /does not match the store's files; nothing was written:\n {2}- version 7: /);
    assert.equal(hasCairnHistory(file), false);
  });

  it('sqlx: checks each file against the sha384 sqlx recorded; an edited file or a dirty run is refused', async () => {
    const { dir } = scratchApp({ state: FILES });
    const sha = (name: keyof typeof FILES) => createHash('sha384').update(FILES[name]).digest();
    const file = foreignDb(dir, (db) => {
      db.exec(SQLX_TABLE);
      const insert = db.prepare(
        'INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES (?, ?, ?, 1, ?, ?)',
      );
      insert.run(1, 'users', '2024-02-01 08:00:00', sha('0001_users.sql'), 2_500_000);
      insert.run(2, 'posts', '2024-02-01 08:00:01', sha('0002_posts.sql'), 1_000_000);
    });
    const edited = path.join(dir, 'migrations', 'state', '0002_posts.sql');
    fs.writeFileSync(edited, FILES['0002_posts.sql'].replace('user_id', 'author_id'));
    const r = await cli(dir, 'adopt', '--store', 'state', '--from', 'sqlx');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /0002_posts.sql: its text differs from what sqlx applied \(sha384 [0-9a-f]{16} recorded\)/);
    assert.equal(hasCairnHistory(file), false);

    fs.writeFileSync(edited, FILES['0002_posts.sql']);
    const ok = await cli(dir, 'adopt', '--store', 'state', '--from', 'sqlx', '--json');
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout).adopted, [
      { version: 1, name: '0001_users.sql', checked: 'sha384' },
      { version: 2, name: '0002_posts.sql', checked: 'sha384' },
    ]);
    assert.deepEqual(readRows(file, 'SELECT version, duration_ms FROM cairn_migrations ORDER BY version'), [
      { version: 1, duration_ms: 3 },
      { version: 2, duration_ms: 1 },
    ]);

    const { dir: dirty } = scratchApp({ state: FILES });
    foreignDb(dirty, (db) => {
      db.exec(SQLX_TABLE);
      db.prepare("INSERT INTO _sqlx_migrations VALUES (1, 'users', '2024-02-01 08:00:00', 0, ?, 10)").run(sha('0001_users.sql'));
    });
    const d = await cli(dirty, 'adopt', '--store', 'state', '--from', 'sqlx');
    assert.equal(d.code, 2);
    assert.match(d.stderr, /sqlx recorded 1 \(users\) as failed \(success = 0\): the DB is dirty/);
  });

  it('flyway: BASELINE stands for the versions below it, the CRC-32 checksum is compared, a repeatable migration is noted, not carried', async () => {
    const { dir } = scratchApp({ state: FILES });
    const file = foreignDb(dir, (db) => {
      db.exec(FLYWAY_TABLE);
      const insert = db.prepare(
        "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (?, ?, ?, ?, ?, ?, 'app', ?, 1)",
      );
      insert.run(1, '1', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', null, 0);
      // Flyway's checksum ignores line endings: the file was applied from a CRLF checkout.
      insert.run(2, '2', 'posts', 'SQL', 'V2__posts.sql', flywayChecksum(Buffer.from(FILES['0002_posts.sql'].replace(/\n/g, '\r\n'))), 12);
      insert.run(3, null, 'views', 'SQL', 'R__views.sql', 123, 3);
    });
    const r = await cli(dir, 'adopt', '--store', 'state', '--from', 'flyway', '--json');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.adopted, [
      { version: 1, name: '0001_users.sql', checked: null },
      { version: 2, name: '0002_posts.sql', checked: 'crc32' },
    ]);
    assert.match(out.notes[0], /R__views.sql: a repeatable migration/);
    assert.deepEqual(out.pending, [{ version: 3, name: '0003_tags.sql' }]);
    assert.equal(history(file).length, 2);
  });

  it("flyway's checksum is CRC-32 of the lines without their breaks, BOM dropped, as a signed int", () => {
    // CRC-32 check value of "123456789" is 0xCBF43926.
    assert.equal(flywayChecksum(Buffer.from('123456789')), 0xcbf43926 | 0);
    assert.equal(flywayChecksum(Buffer.from('\uFEFF123\r\n456\r789\n')), 0xcbf43926 | 0);
  });

  it('plain-version: PRAGMA user_version or a one-row schema_version; a number above the files is refused', async () => {
    const { dir } = scratchApp({ state: FILES });
    const file = foreignDb(dir, (db) => db.exec('PRAGMA user_version = 2'));
    const r = await cli(dir, 'adopt', '--store', 'state', '--from', 'plain-version');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /adopted 2 versions from plain-version \(PRAGMA user_version\)/);
    assert.equal(history(file).length, 2);

    const { dir: table } = scratchApp({ state: FILES });
    const tableFile = foreignDb(table, (db) => db.exec('CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES (1);'));
    assert.equal((await cli(table, 'adopt', '--store', 'state', '--from', 'plain-version')).code, 0);
    assert.deepEqual(history(tableFile), [{ version: 1, name: '0001_users.sql' }]);

    const { dir: ahead } = scratchApp({ state: FILES });
    const aheadFile = foreignDb(ahead, (db) => db.exec('PRAGMA user_version = 9'));
    const refused = await cli(ahead, 'adopt', '--store', 'state', '--from', 'plain-version');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /PRAGMA user_version is 9, above the newest file \(3\)/);
    assert.equal(hasCairnHistory(aheadFile), false);

    const none = await cli(ahead, 'adopt', '--store', 'state', '--from', 'sqlx');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no _sqlx_migrations table, so it was not migrated by sqlx/);
  });
});

describe('"history": "goose" keeps goose_db_version in step', () => {
  it('writes it exactly as goose does: a version-0 row, one row per version, the row deleted on rollback', async () => {
    const { dir } = scratchApp({ state: FILES }, { state: { history: 'goose' } });
    const file = path.join(dir, 'state.sqlite');
    assert.equal((await cli(dir, 'migrate')).code, 0);
    const goose = () => readRows(file, 'SELECT id, version_id, is_applied FROM goose_db_version ORDER BY id');
    assert.deepEqual(goose(), [
      { id: 1, version_id: 0, is_applied: 1 },
      { id: 2, version_id: 1, is_applied: 1 },
      { id: 3, version_id: 2, is_applied: 1 },
      { id: 4, version_id: 3, is_applied: 1 },
    ]);
    assert.match(
      String((readRows(file, 'SELECT tstamp FROM goose_db_version WHERE id = 4')[0] as { tstamp: string }).tstamp),
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
    );
    assert.equal((await cli(dir, 'migrate', '--to', '1')).code, 0);
    assert.deepEqual(goose(), [
      { id: 1, version_id: 0, is_applied: 1 },
      { id: 2, version_id: 1, is_applied: 1 },
    ]);
    assert.equal((await cli(dir, 'migrate')).code, 0);
    assert.deepEqual(
      goose().map((r) => (r as { version_id: number }).version_id),
      [0, 1, 2, 3],
    );
    // The mirror's table is goose's, not the app's: a baseline leaves it out.
    const baseline = await cli(dir, 'baseline', '--store', 'state', '--dry-run');
    assert.equal(baseline.code, 0, baseline.stderr);
    assert.doesNotMatch(baseline.stdout, /goose_db_version/);
    assert.match(baseline.stdout, /CREATE TABLE tags/);
    assert.equal((await cli(dir, 'status')).code, 0);
  });

  it('switched on for a DB cairn already migrated, it catches up with every applied version at the next migrate', async () => {
    const { dir, config } = scratchApp({ state: FILES });
    const file = path.join(dir, 'state.sqlite');
    assert.equal((await cli(dir, 'migrate')).code, 0);
    const c = JSON.parse(fs.readFileSync(config, 'utf8'));
    c.stores.state.history = 'goose';
    fs.writeFileSync(config, JSON.stringify(c));
    assert.equal((await cli(dir, 'migrate')).code, 0);
    assert.deepEqual(
      readRows(file, 'SELECT version_id FROM goose_db_version ORDER BY id').map((r) => (r as { version_id: number }).version_id),
      [0, 1, 2, 3],
    );
  });
});
