import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { cli, scratchApp } from '../helpers.js';

const V1 = 'CREATE TABLE projects (id TEXT PRIMARY KEY, name TEXT NOT NULL);\n';
const V2 = '-- +goose Up\nCREATE TABLE threads (id TEXT PRIMARY KEY, project_id TEXT REFERENCES projects (id));\n-- +goose Down\nDROP TABLE threads;\n';
const V3 = '-- +goose Up\nALTER TABLE threads ADD COLUMN title TEXT;\n-- +goose Down\nALTER TABLE threads DROP COLUMN title;\n';

function history(file: string): { version: number; name: string }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT version, name FROM cairn_migrations ORDER BY version').all() as { version: number; name: string }[];
  } finally {
    db.close();
  }
}

async function json(dir: string, ...argv: string[]) {
  const r = await cli(dir, ...argv, '--json');
  return { ...r, doc: JSON.parse(r.stdout) };
}

describe('migrate and status', () => {
  it('migrates a fresh store and reports it in status --json', async () => {
    const { dir } = scratchApp({ state: { '0001_projects.sql': V1, '0002_threads.sql': V2 } });
    const before = await json(dir, 'status');
    assert.equal(before.code, 0);
    const st = before.doc.stores[0];
    assert.deepEqual(
      {
        store: st.store,
        exists: st.exists,
        current: st.current,
        pending: st.pending.map((p: { version: number }) => p.version),
        newerThanApp: st.newerThanApp,
      },
      { store: 'state', exists: false, current: null, pending: [1, 2], newerThanApp: false },
    );
    assert.equal(fs.existsSync(path.join(dir, 'state.sqlite')), false, 'status never creates a DB');

    const m = await cli(dir, 'migrate');
    assert.equal(m.code, 0, m.stderr);
    const after = (await json(dir, 'status')).doc.stores[0];
    assert.equal(after.current, 2);
    assert.deepEqual(
      after.applied.map((a: { version: number }) => a.version),
      [1, 2],
    );
    assert.deepEqual([after.pending, after.edited, after.missing], [[], [], []]);
    assert.equal((fs.statSync(path.join(dir, 'state.sqlite')).mode & 0o777).toString(8), '600');

    const again = await cli(dir, 'migrate');
    assert.equal(again.code, 0);
    assert.match(again.stdout, /up to date at 2/);
  });

  it('refuses an edited migration (exit 2) naming the file and both checksums, applying nothing', async () => {
    const { dir } = scratchApp({ state: { '0001_projects.sql': V1 } });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    fs.appendFileSync(path.join(dir, 'migrations/state/0001_projects.sql'), 'CREATE INDEX p_name ON projects (name);\n');
    fs.writeFileSync(path.join(dir, 'migrations/state/0002_threads.sql'), V2);
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /0001_projects\.sql changed after it was applied \(checksum [0-9a-f]{12}… applied, [0-9a-f]{12}… on disk\)/);
    assert.deepEqual(
      history(path.join(dir, 'state.sqlite')).map((h) => h.version),
      [1],
    );
    const st = (await json(dir, 'status')).doc.stores[0];
    assert.equal(st.edited[0].name, '0001_projects.sql');
  });

  it('a CRLF checkout of an applied file is not an edit', async () => {
    const { dir } = scratchApp({ state: { '0001_projects.sql': V1 } });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    fs.writeFileSync(path.join(dir, 'migrations/state/0001_projects.sql'), V1.replaceAll('\n', '\r\n'));
    assert.equal((await cli(dir, 'migrate')).code, 0);
  });

  it('refuses a DB newer than the app unless every unknown version only adds', async () => {
    const { dir } = scratchApp({ state: { '0001_projects.sql': V1, '0002_threads.sql': V2 } });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    // The newer release's additive file, applied; then the app is "downgraded".
    fs.writeFileSync(path.join(dir, 'migrations/state/0003_title.sql'), V3.replace(/-- \+goose Down[\s\S]*/, ''));
    assert.equal((await cli(dir, 'migrate')).code, 0);
    fs.rmSync(path.join(dir, 'migrations/state/0003_title.sql'));
    const additive = await cli(dir, 'migrate');
    assert.equal(additive.code, 0, additive.stderr);
    assert.match(additive.stdout, /all additive/);
    const st = (await json(dir, 'status')).doc.stores[0];
    assert.equal(st.newerThanApp, true);
    assert.deepEqual(st.unknown, [{ version: 3, name: '0003_title.sql', additive: true }]);

    fs.writeFileSync(path.join(dir, 'migrations/state/0003_title.sql'), V3.replace(/-- \+goose Down[\s\S]*/, ''));
    fs.writeFileSync(path.join(dir, 'migrations/state/0004_drop.sql'), 'DROP TABLE threads;\n');
    assert.equal((await cli(dir, 'migrate')).code, 0);
    fs.rmSync(path.join(dir, 'migrations/state/0003_title.sql'));
    fs.rmSync(path.join(dir, 'migrations/state/0004_drop.sql'));
    const refused = await cli(dir, 'migrate');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /newer release.*4 \(0004_drop\.sql\)/);
  });

  it('reports a missing applied file without failing', async () => {
    const { dir } = scratchApp({ state: { '0001_projects.sql': V1, '0002_threads.sql': V2, '0003_title.sql': V3 } });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    fs.rmSync(path.join(dir, 'migrations/state/0002_threads.sql'));
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 0, r.stderr);
    const st = (await json(dir, 'status')).doc.stores[0];
    assert.deepEqual(st.missing, [{ version: 2, name: '0002_threads.sql' }]);
    assert.equal(st.newerThanApp, false);
  });

  it('re-stamps a file renamed to a new number instead of re-running it', async () => {
    const { dir } = scratchApp({ state: { '0001_projects.sql': V1, '0002_threads.sql': V2 } });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    fs.renameSync(path.join(dir, 'migrations/state/0002_threads.sql'), path.join(dir, 'migrations/state/0010_threads.sql'));
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(history(path.join(dir, 'state.sqlite')), [
      { version: 1, name: '0001_projects.sql' },
      { version: 10, name: '0010_threads.sql' },
    ]);
  });

  it('refuses an out-of-order file unless --allow-out-of-order', async () => {
    const { dir } = scratchApp({ state: { '0001_projects.sql': V1, '0003_threads.sql': V2 } });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    fs.writeFileSync(path.join(dir, 'migrations/state/0002_extra.sql'), 'CREATE TABLE extra (x);\n');
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /0002_extra\.sql is numbered below the newest applied version 3/);
    assert.equal((await cli(dir, 'migrate', '--allow-out-of-order')).code, 0);
    assert.deepEqual(
      history(path.join(dir, 'state.sqlite')).map((h) => h.version),
      [1, 2, 3],
    );
  });

  it('a failing statement rolls its file back, keeps earlier files, exits 1 naming file and statement', async () => {
    const { dir } = scratchApp({
      state: {
        '0001_projects.sql': V1,
        '0002_bad.sql': 'CREATE TABLE ok_table (x);\nINSERT INTO no_such_table VALUES (1);\n',
        '0003_after.sql': 'CREATE TABLE after (x);\n',
      },
    });
    // --force: the lint refuses this file before anything runs (see lint.test.ts); this test is about a statement failing as it runs.
    const r = await cli(dir, 'migrate', '--force');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /0002_bad\.sql: statement 2 \(line 2\) failed: no such table: no_such_table/);
    const db = new Database(path.join(dir, 'state.sqlite'), { readonly: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    db.close();
    assert.ok(tables.includes('projects'));
    assert.ok(!tables.includes('ok_table'), 'the failing file is rolled back whole');
    assert.ok(!tables.includes('after'), 'later files do not run');
    assert.deepEqual(
      history(path.join(dir, 'state.sqlite')).map((h) => h.version),
      [1],
    );
  });

  it('a NO TRANSACTION file that fails halfway is undone from the copy taken before it', async () => {
    const { dir } = scratchApp({
      state: {
        '0001_projects.sql': V1,
        '0002_notx.sql': '-- +goose NO TRANSACTION\n-- +goose Up\nCREATE TABLE half (x);\nINSERT INTO half VALUES (1);\nSELECT * FROM no_such_table;\n',
      },
    });
    const r = await cli(dir, 'migrate', '--force'); // past the lint, to a failure as it runs
    assert.equal(r.code, 1);
    assert.match(r.stdout, /restored from the copy taken before it/);
    const db = new Database(path.join(dir, 'state.sqlite'), { readonly: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();
    assert.ok(tables.includes('projects'));
    assert.ok(!tables.includes('half'));
    assert.deepEqual(
      history(path.join(dir, 'state.sqlite')).map((h) => h.version),
      [1],
    );
  });

  it('records a version whose sections are empty', async () => {
    const { dir } = scratchApp({ state: { '0001_empty.sql': '-- +goose Up\n-- placeholder\n-- +goose Down\n' } });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    assert.deepEqual(
      history(path.join(dir, 'state.sqlite')).map((h) => h.version),
      [1],
    );
  });

  it('--dry-run writes nothing and --json lists each statement as it would run', async () => {
    const { dir } = scratchApp({ state: { '0001_projects.sql': V1, '0002_threads.sql': V2 } });
    const r = await json(dir, 'migrate', '--dry-run');
    assert.equal(r.code, 0);
    assert.equal(fs.existsSync(path.join(dir, 'state.sqlite')), false);
    assert.deepEqual(
      r.doc.stores[0].planned.map((p: { name: string; statements: string[] }) => [p.name, p.statements]),
      [
        ['0001_projects.sql', [V1.trim()]],
        ['0002_threads.sql', ['CREATE TABLE threads (id TEXT PRIMARY KEY, project_id TEXT REFERENCES projects (id));']],
      ],
    );
    const human = await cli(dir, 'migrate', '--dry-run');
    assert.match(human.stdout, /would migrate none → 2[\s\S]*CREATE TABLE threads/);
  });

  it('--dry-run and --json show ENVSUB references, not the values, unless --expand-env', async () => {
    const secret = 's3cret-token-value';
    process.env.CAIRN_TEST_SECRET = secret;
    try {
      const { dir } = scratchApp({
        state: {
          '0001_config.sql':
            "-- +goose ENVSUB ON\n-- +goose Up\nCREATE TABLE config (k TEXT, v TEXT);\nINSERT INTO config VALUES ('token', '${CAIRN_TEST_SECRET}');\n",
        },
      });
      for (const args of [['--dry-run'], ['--dry-run', '--json']]) {
        const r = await cli(dir, 'migrate', ...args);
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stdout + r.stderr, new RegExp(secret), args.join(' '));
        assert.match(r.stdout, /\$\{CAIRN_TEST_SECRET\}/);
      }
      const expanded = await cli(dir, 'migrate', '--dry-run', '--expand-env');
      assert.match(expanded.stdout, new RegExp(secret));
      const real = await cli(dir, 'migrate', '--json');
      assert.equal(real.code, 0);
      assert.doesNotMatch(real.stdout, new RegExp(secret), 'the result document does not carry it either');
      const db = new Database(path.join(dir, 'state.sqlite'), { readonly: true });
      assert.equal(db.prepare("SELECT v FROM config WHERE k = 'token'").pluck().get(), secret, 'the migration itself ran with the value');
      db.close();
    } finally {
      delete process.env.CAIRN_TEST_SECRET;
    }
  });

  it('--to migrates down through Down sections and back up; refuses when a Down is missing', async () => {
    const { dir } = scratchApp({ state: { '0001_projects.sql': V1, '0002_threads.sql': V2, '0003_title.sql': V3 } });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    const down = await cli(dir, 'migrate', '--to', '1');
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(
      history(path.join(dir, 'state.sqlite')).map((h) => h.version),
      [1],
    );
    assert.equal((await cli(dir, 'migrate', '--to', '2')).code, 0);
    assert.deepEqual(
      history(path.join(dir, 'state.sqlite')).map((h) => h.version),
      [1, 2],
    );
    const noDown = await cli(dir, 'migrate', '--to', '0');
    assert.equal(noDown.code, 2);
    assert.match(noDown.stderr, /cannot revert 0001_projects\.sql: it has no '-- \+goose Down' section/);
    assert.deepEqual(
      history(path.join(dir, 'state.sqlite')).map((h) => h.version),
      [1, 2],
      'a refused down run reverts nothing',
    );
  });

  it('takes a backup beside an existing DB before changing it, and keeps the newest few', async () => {
    const { dir } = scratchApp({ state: { '0001_projects.sql': V1 } }, { state: { backups: { keep: 2 } } });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    for (let v = 2; v <= 5; v++) {
      fs.writeFileSync(path.join(dir, `migrations/state/000${v}_t${v}.sql`), `CREATE TABLE t${v} (x);\n`);
      const r = await json(dir, 'migrate');
      assert.ok(r.doc.stores[0].backup, 'a backup path is reported');
    }
    const backups = fs.readdirSync(dir).filter((f) => f.includes('.cairn-backup-'));
    assert.equal(backups.length, 2);
    assert.equal(fs.statSync(path.join(dir, backups[0]!)).mode & 0o777, 0o600);
    const copy = new Database(path.join(dir, backups.sort()[1]!), { readonly: true });
    assert.deepEqual(copy.prepare('SELECT version FROM cairn_migrations ORDER BY version').pluck().all(), [1, 2, 3, 4]);
    copy.close();
    fs.writeFileSync(path.join(dir, 'migrations/state/0006_t6.sql'), 'CREATE TABLE t6 (x);\n');
    assert.equal((await json(dir, 'migrate', '--no-backup')).doc.stores[0].backup, null);
  });
});

describe('the Down of a NO TRANSACTION file', () => {
  it('runs outside a transaction, as goose runs it (VACUUM in a Down works), and the dry run says so', async () => {
    const { dir } = scratchApp({
      main: {
        '0001_a.sql': 'CREATE TABLE a (id INTEGER PRIMARY KEY);\n',
        '0002_compact.sql': '-- +goose NO TRANSACTION\n-- +goose Up\nVACUUM;\n-- +goose Down\nVACUUM;\n',
      },
    });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    const plan = await cli(dir, 'migrate', '--to', '1', '--dry-run', '--json');
    assert.equal(JSON.parse(plan.stdout).stores[0].planned[0].transaction, false);
    const down = await cli(dir, 'migrate', '--to', '1');
    assert.equal(down.code, 0, down.stdout + down.stderr);
    const status = JSON.parse((await cli(dir, 'status', '--json')).stdout);
    assert.equal(status.stores[0].current, 1);
  });
});

describe('source errors and refusals', () => {
  it('two files with one version: exit 2 naming both', async () => {
    const { dir } = scratchApp({ state: { '0001_a.sql': V1, '1_b.sql': 'SELECT 1;' } });
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /0001_a\.sql and 1_b\.sql .* both have version 1/);
  });

  it('a .sql file whose name does not parse: exit 2 naming it', async () => {
    const { dir } = scratchApp({ state: { '0001_a.sql': V1, 'add-users.sql': 'SELECT 1;' } });
    const r = await cli(dir, 'status');
    assert.equal(r.code, 2, 'status exits as migrate would: refused');
    assert.match(r.stdout, /add-users\.sql: migration file names must look like NNNN_description\.sql/);
    assert.equal((await cli(dir, 'migrate')).code, 2);
  });

  it('status shows what migrate would refuse, and exits as it would: edited, unmanaged (with the adopt command)', async () => {
    const { dir } = scratchApp({ state: { '0001_projects.sql': V1 } });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    fs.appendFileSync(path.join(dir, 'migrations/state/0001_projects.sql'), '-- edited\n');
    const edited = await cli(dir, 'status', '--json');
    assert.equal(edited.code, 2);
    assert.equal(JSON.parse(edited.stdout).stores[0].refusal.code, 'E_CHECKSUM_MISMATCH');

    const goose = scratchApp({ state: { '0001_projects.sql': V1 } });
    const db = new Database(path.join(goose.dir, 'state.sqlite'));
    db.exec(
      "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')));" +
        'INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1), (1, 1);' +
        V1,
    );
    db.close();
    const unmanaged = await cli(goose.dir, 'status');
    assert.equal(unmanaged.code, 2, unmanaged.stdout);
    assert.match(unmanaged.stdout, /migrate refuses: .*cairn adopt --store state --from goose/);
  });

  it('--to beyond the newest file is a usage error, not a silent success', async () => {
    const { dir } = scratchApp({ state: { '0001_projects.sql': V1 } });
    const r = await cli(dir, 'migrate', '--to', '99');
    assert.equal(r.code, 64);
    assert.match(r.stderr, /--to 99 is above the newest migration \(1\)/);
    assert.equal(fs.existsSync(path.join(dir, 'state.sqlite')), false);
  });

  it('a migration file that is not valid UTF-8 is refused naming the byte; a BOM added to an applied file is not an edit', async () => {
    const { dir } = scratchApp({ state: { '0001_projects.sql': V1 } });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    const file = path.join(dir, 'migrations/state/0002_latin1.sql');
    fs.writeFileSync(file, Buffer.concat([Buffer.from("INSERT INTO projects (id, name) VALUES ('1', 'caf"), Buffer.from([0xe9]), Buffer.from("');\n")]));
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /0002_latin1\.sql: not valid UTF-8 at byte 49; save the file as UTF-8/);
    fs.rmSync(file);

    const applied = path.join(dir, 'migrations/state/0001_projects.sql');
    fs.writeFileSync(applied, '\uFEFF' + V1);
    assert.equal((await cli(dir, 'migrate')).code, 0, 'a BOM is not an edit');
    // A DB whose history recorded the checksum of the file with its BOM (earlier releases did) is not refused either.
    const db = new Database(path.join(dir, 'state.sqlite'));
    db.prepare('UPDATE cairn_migrations SET checksum = ? WHERE version = 1').run(
      createHash('sha256')
        .update('\uFEFF' + V1)
        .digest('hex'),
    );
    db.prepare("DELETE FROM cairn_meta WHERE key = 'fingerprint'").run();
    db.close();
    assert.equal((await cli(dir, 'migrate')).code, 0);
  });

  it('an entry named like a migration that is not a regular file is refused by name: a folder, a FIFO, a dangling link', async () => {
    for (const make of [
      (p: string) => fs.mkdirSync(p),
      (p: string) => execFileSync('mkfifo', [p]),
      (p: string) => fs.symlinkSync(path.join(path.dirname(p), 'gone.sql'), p),
    ]) {
      const { dir } = scratchApp({ state: { '0001_projects.sql': V1 } });
      make(path.join(dir, 'migrations/state/0002_odd.sql'));
      const r = await cli(dir, 'migrate');
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /0002_odd\.sql: (named like a migration but not a regular file|a dangling link)/);
      assert.equal(fs.existsSync(path.join(dir, 'state.sqlite')), false);
    }
  });

  it('a misspelt annotation: exit 2 naming file and line', async () => {
    const { dir } = scratchApp({ state: { '0001_a.sql': '-- +goose Up\nSELECT 1;\n-- +goose Dwn\n' } });
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /0001_a\.sql:3: failed to parse annotation line "-- \+goose Dwn": unknown annotation "Dwn"/);
  });

  it('a DB with tables but no history is refused, untouched', async () => {
    const { dir } = scratchApp({ state: { '0001_projects.sql': V1 } });
    const db = new Database(path.join(dir, 'state.sqlite'));
    db.exec('CREATE TABLE legacy (x)');
    db.close();
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /has tables but no cairn_migrations history/);
  });

  it('baseline: a fresh DB gets the snapshot in one step, later files after it; a legacy chain is refused', async () => {
    const { dir } = scratchApp(
      { state: { '0012_after.sql': 'CREATE TABLE after_baseline (x);\n' } },
      { state: { baseline: { file: 'baseline.sql', version: 11 } } },
    );
    fs.writeFileSync(path.join(dir, 'baseline.sql'), `${V1}CREATE TABLE threads (id TEXT PRIMARY KEY);\n`);
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(history(path.join(dir, 'state.sqlite')), [
      { version: 11, name: 'baseline.sql' },
      { version: 12, name: '0012_after.sql' },
    ]);

    // A DB from the old chain (version 3) predates the baseline; its files are gone.
    const legacy = new Database(path.join(dir, 'legacy.sqlite'));
    legacy.exec(
      "CREATE TABLE cairn_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL, duration_ms INTEGER NOT NULL, additive INTEGER NOT NULL, kind TEXT NOT NULL DEFAULT 'migration'); INSERT INTO cairn_migrations VALUES (3, '0003_old.sql', 'x', 't', 0, 1, 'migration'); CREATE TABLE projects (id TEXT PRIMARY KEY);",
    );
    legacy.close();
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'cairn.config.json'), 'utf8'));
    cfg.stores.state.file = 'legacy.sqlite';
    fs.writeFileSync(path.join(dir, 'cairn.config.json'), JSON.stringify(cfg));
    const refused = await cli(dir, 'migrate');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /legacy migration chain \(version 3, below the baseline 11/);
    assert.match(refused.stderr, /cairn cutover --store state/);
    assert.equal((await json(dir, 'status')).doc.stores[0].legacyChain, true);
  });
});

describe('CLI contract', () => {
  it('invalid config: exit 64 with the key path', async () => {
    const { dir } = scratchApp({ state: { '0001_a.sql': V1 } });
    fs.writeFileSync(path.join(dir, 'cairn.config.json'), JSON.stringify({ stores: { state: { file: 3, migratons: 'x' } } }));
    const r = await cli(dir, 'status');
    assert.equal(r.code, 64);
    assert.match(r.stderr, /stores\.state\.file: /);
    assert.match(r.stderr, /migratons/);
  });

  it('no config anywhere: exit 64 saying what to do', async () => {
    const r = await cli('/', 'status');
    assert.equal(r.code, 64);
    assert.match(r.stderr, /no cairn config found/);
  });

  it('unknown store and unknown flag: exit 64', async () => {
    const { dir } = scratchApp({ state: { '0001_a.sql': V1 } });
    const r = await cli(dir, 'status', '--store', 'nope');
    assert.equal(r.code, 64);
    assert.match(r.stderr, /unknown store "nope"; this config declares: state/);
    assert.equal((await cli(dir, 'migrate', '--bogus')).code, 64);
  });

  it('--json prints exactly one JSON document on stdout, even for a refusal', async () => {
    const { dir } = scratchApp({ state: { '0001_a.sql': V1, '1_b.sql': V1 } });
    const r = await cli(dir, 'migrate', '--json');
    assert.equal(r.code, 2);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.ok, false);
    assert.equal(doc.error.code, 'E_MIGRATION_SOURCE');
  });

  it('new creates the next numbered file from the template, in the folder style', async () => {
    const { dir } = scratchApp({ state: { '0001_a.sql': V1, '0002_b.sql': V2 }, logs: { '20240101120000_init.sql': V1 } });
    const r = await cli(dir, 'new', 'Add goal priority!', '--store', 'state');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(path.basename(r.stdout.trim()), '0003_add_goal_priority.sql');
    assert.match(fs.readFileSync(r.stdout.trim(), 'utf8'), /^-- \+goose Up/);
    const refused = await cli(dir, 'migrate', '--store', 'state');
    assert.equal(refused.code, 2, 'the untouched template is not applied');
    assert.match(refused.stderr, /0003_add_goal_priority\.sql is still the empty template/);
    const ts = await json(dir, 'new', 'next', '--store', 'logs');
    assert.ok(ts.doc.version > 20240101120000);
    assert.equal((await cli(dir, 'new', 'x')).code, 64, 'several stores need --store');
  });
});
