import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { historyApp, writeConversations } from '../backfill/helpers.js';
import { spawnCli, scratchApp } from '../helpers.js';
import { chainApp } from '../importers/helpers.js';

/**
 * Bad input, one row each, across config, migrations, import sources,
 * backfill items and snapshots. Every row runs the real CLI in a child
 * process (a FIFO or a hang cannot take the suite with it) and checks:
 * the exit code, the error code in the --json document, and that nothing
 * was lost or written where it should not be: every file that existed is
 * byte-identical afterwards, and a refusal (exit 2 or 64) adds no file.
 */
interface Row {
  name: string;
  /** Builds the app and breaks it; returns the folder to run in. */
  make: () => Promise<string>;
  argv: string[];
  exit: number;
  /** The CairnError code of a refusal; omitted where the run finishes and rejects input (exit 1). */
  code?: string;
  /** Files the run may add (a rejects file, rows in a store): matched against the relative path. */
  mayWrite?: RegExp;
}

const STATE = { '0001_items.sql': 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n' };

/** A migrated app with one store holding rows; `edit` breaks it. */
function migratedApp(edit: (dir: string) => void = () => {}): () => Promise<string> {
  return async () => {
    const { dir } = scratchApp({ state: STATE });
    const r = await spawnCli(dir, ['migrate']);
    assert.equal(r.code, 0, r.stderr);
    const db = new Database(path.join(dir, 'state.sqlite'));
    db.exec("INSERT INTO items (name) VALUES ('one'), ('two'), ('three')");
    db.close();
    edit(dir);
    return dir;
  };
}

function setConfig(dir: string, change: (config: { home?: string; stores: Record<string, Record<string, unknown>> } & Record<string, unknown>) => void): void {
  const file = path.join(dir, 'cairn.config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  change(config);
  fs.writeFileSync(file, JSON.stringify(config));
}

const migration = (dir: string, name: string, body: string | Buffer): void => fs.writeFileSync(path.join(dir, 'migrations', 'state', name), body);

function chain(edit: (app: ReturnType<typeof chainApp>) => void): () => Promise<string> {
  return async () => {
    const app = chainApp();
    edit(app);
    return app.dir;
  };
}

function backfill(edit: (home: string) => void, migrate = true): () => Promise<string> {
  return async () => {
    const app = historyApp();
    writeConversations(app.home, 4, 3, { damage: false });
    if (migrate) assert.equal((await spawnCli(app.dir, ['migrate'])).code, 0);
    edit(app.home);
    return app.dir;
  };
}

function exported(edit: (snapshot: string) => void): () => Promise<string> {
  return async () => {
    const dir = await migratedApp()();
    assert.equal((await spawnCli(dir, ['export', '--out', path.join(dir, 'snap')])).code, 0);
    edit(path.join(dir, 'snap'));
    return dir;
  };
}

const ROWS: Row[] = [
  // Config
  {
    name: 'config is not JSON',
    make: migratedApp((d) => fs.writeFileSync(path.join(d, 'cairn.config.json'), '{ stores: ')),
    argv: ['status'],
    exit: 64,
    code: 'E_CONFIG',
  },
  {
    name: 'config key misspelt',
    make: migratedApp((d) => setConfig(d, (c) => ((c.stors = c.stores), delete (c as Record<string, unknown>).stores))),
    argv: ['migrate'],
    exit: 64,
    code: 'E_CONFIG',
  },
  {
    name: 'store name with a space',
    make: migratedApp((d) => setConfig(d, (c) => (c.stores['my store'] = c.stores.state as never))),
    argv: ['status'],
    exit: 64,
    code: 'E_CONFIG',
  },
  {
    name: 'migrations key left out',
    make: migratedApp((d) => setConfig(d, (c) => delete c.stores.state!.migrations)),
    argv: ['migrate'],
    exit: 64,
    code: 'E_CONFIG',
  },
  {
    name: 'migrations folder misspelt',
    make: migratedApp((d) => setConfig(d, (c) => (c.stores.state!.migrations = 'migrations/stat'))),
    argv: ['migrate'],
    exit: 64,
    code: 'E_CONFIG',
  },
  {
    name: 'migrations path is a file',
    make: migratedApp((d) => setConfig(d, (c) => (c.stores.state!.migrations = 'cairn.config.json'))),
    argv: ['status'],
    exit: 64,
    code: 'E_CONFIG',
  },
  {
    name: 'pragma name misspelt',
    make: migratedApp((d) => setConfig(d, (c) => (c.stores.state!.pragmas = { jurnal_mode: 'wal' }))),
    argv: ['migrate'],
    exit: 64,
    code: 'E_CONFIG',
  },
  {
    name: 'pragma of the wrong type',
    make: migratedApp((d) => setConfig(d, (c) => (c.stores.state!.pragmas = { busy_timeout: 'abc' }))),
    argv: ['migrate'],
    exit: 64,
    code: 'E_CONFIG',
  },
  {
    name: 'pragma value with SQL in it',
    make: migratedApp((d) => setConfig(d, (c) => (c.stores.state!.pragmas = { journal_mode: 'wal; DROP TABLE items' }))),
    argv: ['migrate'],
    exit: 64,
    code: 'E_CONFIG',
  },
  {
    name: 'a pragma that corrupts',
    make: migratedApp((d) => setConfig(d, (c) => (c.stores.state!.extraPragmas = { writable_schema: 1 }))),
    argv: ['migrate'],
    exit: 64,
    code: 'E_CONFIG',
  },
  {
    name: 'home is a file',
    make: migratedApp((d) => (fs.writeFileSync(path.join(d, 'data'), ''), setConfig(d, (c) => (c.home = 'data')))),
    argv: ['migrate'],
    exit: 64,
    code: 'E_CONFIG',
  },
  {
    name: 'two stores on one file',
    make: migratedApp((d) => setConfig(d, (c) => (c.stores.again = { ...c.stores.state }))),
    argv: ['migrate'],
    exit: 64,
    code: 'E_CONFIG',
  },
  {
    name: 'backups keep 0',
    make: migratedApp((d) => setConfig(d, (c) => (c.stores.state!.backups = { keep: 0 }))),
    argv: ['migrate'],
    exit: 64,
    code: 'E_CONFIG',
  },
  { name: '--config names no file', make: migratedApp(), argv: ['status', '--config', 'nope.json'], exit: 64, code: 'E_CONFIG' },
  { name: 'unknown store', make: migratedApp(), argv: ['migrate', '--store', 'stat'], exit: 64, code: 'E_USAGE' },

  // Migrations
  { name: 'misnamed .sql file', make: migratedApp((d) => migration(d, 'add-users.sql', 'SELECT 1;')), argv: ['migrate'], exit: 2, code: 'E_MIGRATION_SOURCE' },
  {
    name: 'two files with one version',
    make: migratedApp((d) => migration(d, '0001_again.sql', 'SELECT 1;')),
    argv: ['migrate'],
    exit: 2,
    code: 'E_MIGRATION_SOURCE',
  },
  {
    name: 'a file that is not UTF-8',
    make: migratedApp((d) => migration(d, '0002_latin1.sql', Buffer.from([0x53, 0x45, 0x4c, 0x45, 0x43, 0x54, 0x20, 0x27, 0xe9, 0x27, 0x3b]))),
    argv: ['migrate'],
    exit: 2,
    code: 'E_MIGRATION_SOURCE',
  },
  {
    name: 'a folder named like a migration',
    make: migratedApp((d) => fs.mkdirSync(path.join(d, 'migrations', 'state', '0002_dir.sql'))),
    argv: ['migrate'],
    exit: 2,
    code: 'E_MIGRATION_SOURCE',
  },
  {
    name: 'a FIFO named like a migration',
    make: migratedApp((d) => execFileSync('mkfifo', [path.join(d, 'migrations', 'state', '0002_fifo.sql')])),
    argv: ['migrate'],
    exit: 2,
    code: 'E_MIGRATION_SOURCE',
  },
  {
    name: 'a dangling link named like a migration',
    make: migratedApp((d) => fs.symlinkSync('/nonexistent', path.join(d, 'migrations', 'state', '0002_link.sql'))),
    argv: ['status'],
    exit: 2,
    code: 'E_MIGRATION_SOURCE',
  },
  {
    name: 'misspelt annotation',
    make: migratedApp((d) => migration(d, '0002_x.sql', '-- +goose Up\nSELECT 1;\n-- +goose Dwn\n')),
    argv: ['migrate'],
    exit: 2,
    code: 'E_MIGRATION_PARSE',
  },
  {
    name: 'a statement SQLite cannot parse',
    make: migratedApp((d) => migration(d, '0002_typo.sql', 'CREATE TABEL u (id INTEGER);\n')),
    argv: ['migrate'],
    exit: 2,
    code: 'E_LINT',
  },
  {
    name: 'an applied file edited',
    make: migratedApp((d) => migration(d, '0001_items.sql', STATE['0001_items.sql'] + '-- edited\n')),
    argv: ['migrate'],
    exit: 2,
    code: 'E_CHECKSUM_MISMATCH',
  },
  { name: '--to above the newest file', make: migratedApp(), argv: ['migrate', '--to', '99'], exit: 64, code: 'E_USAGE' },
  {
    name: 'ENVSUB of a required variable that is unset',
    make: migratedApp((d) => migration(d, '0002_env.sql', '-- +goose ENVSUB ON\n-- +goose Up\nSELECT ${CAIRN_NEVER_SET?set it};\n')),
    argv: ['migrate'],
    exit: 2,
    code: 'E_MIGRATION_PARSE',
  },
  {
    name: 'ENVSUB of $1',
    make: migratedApp((d) => migration(d, '0002_env.sql', '-- +goose ENVSUB ON\n-- +goose Up\nSELECT $1;\n')),
    argv: ['migrate'],
    exit: 2,
    code: 'E_MIGRATION_PARSE',
  },
  {
    name: 'a DB migrated by a newer release',
    make: migratedApp((d) => {
      const db = new Database(path.join(d, 'state.sqlite'));
      db.exec("INSERT INTO cairn_migrations VALUES (9, '0009_drop.sql', 'x', 't', 0, 0, 'migration'); DELETE FROM cairn_meta");
      db.close();
    }),
    argv: ['migrate'],
    exit: 2,
    code: 'E_NEWER_THAN_APP',
  },
  {
    name: 'baseline file missing',
    make: migratedApp((d) => setConfig(d, (c) => (c.stores.state!.baseline = { file: 'gone.sql', version: 1 }))),
    argv: ['status'],
    exit: 64,
    code: 'E_CONFIG',
  },

  // Import sources
  {
    name: 'import source missing',
    make: chain((a) => fs.rmSync(path.join(a.legacy, 'zones.json'))),
    argv: ['import', 'chain', '--from', 'legacy'],
    exit: 2,
    code: 'E_SOURCE',
  },
  {
    name: 'import source is a folder',
    make: chain((a) => (fs.rmSync(path.join(a.legacy, 'zones.json')), fs.mkdirSync(path.join(a.legacy, 'zones.json')))),
    argv: ['import', 'chain', '--from', 'legacy'],
    exit: 2,
    code: 'E_SOURCE',
  },
  {
    name: 'import source is a FIFO',
    make: chain((a) => (fs.rmSync(path.join(a.legacy, 'zones.json')), execFileSync('mkfifo', [path.join(a.legacy, 'zones.json')]))),
    argv: ['import', 'chain', '--from', 'legacy'],
    exit: 2,
    code: 'E_SOURCE',
  },
  { name: 'unknown import plan', make: chain(() => {}), argv: ['import', 'chian', '--from', 'legacy'], exit: 64, code: 'E_PLAN' },
  {
    name: 'a malformed JSONL line',
    make: chain((a) => fs.appendFileSync(path.join(a.legacy, 'items', 'r1.jsonl'), '{"n": 9, "label": \n')),
    argv: ['import', 'chain', '--from', 'legacy'],
    exit: 1,
    mayWrite: /^home\//,
  },
  {
    name: 'a JSONL line that is not UTF-8',
    make: chain((a) => fs.appendFileSync(path.join(a.legacy, 'items', 'r1.jsonl'), Buffer.from([0x7b, 0xff, 0x7d, 0x0a]))),
    argv: ['import', 'chain', '--from', 'legacy'],
    exit: 1,
    mayWrite: /^home\//,
  },
  {
    name: 'a line nested 100,000 deep',
    make: chain((a) => fs.appendFileSync(path.join(a.legacy, 'items', 'r1.jsonl'), `{"n": 9, "label": ${'['.repeat(100_000)}${']'.repeat(100_000)}}\n`)),
    argv: ['import', 'chain', '--from', 'legacy'],
    exit: 1,
    mayWrite: /^home\//,
  },
  {
    name: 'a FIFO among the globbed files',
    make: chain((a) => execFileSync('mkfifo', [path.join(a.legacy, 'items', 'r7.jsonl')])),
    argv: ['import', 'chain', '--from', 'legacy'],
    exit: 1,
    mayWrite: /^home\//,
  },

  // Backfill items
  { name: 'unknown backfill job', make: backfill(() => {}), argv: ['backfill', 'hsit'], exit: 64, code: 'E_PLAN' },
  { name: 'backfill into a store not migrated', make: backfill(() => {}, false), argv: ['backfill', 'hist'], exit: 2, code: 'E_SCHEMA_BEHIND' },
  {
    name: 'a malformed backfill line',
    make: backfill((h) => fs.appendFileSync(path.join(h, 'convs', 'd00', 'c00000.jsonl'), '{"text": \n')),
    argv: ['backfill', 'hist'],
    exit: 1,
    mayWrite: /^home\//,
  },
  {
    name: 'a dangling link among the items',
    make: backfill((h) => fs.symlinkSync(path.join(h, 'gone.jsonl'), path.join(h, 'convs', 'd00', 'c09999.jsonl'))),
    argv: ['backfill', 'hist'],
    exit: 1,
    mayWrite: /^home\//,
  },
  {
    name: 'a FIFO among the items',
    make: backfill((h) => execFileSync('mkfifo', [path.join(h, 'convs', 'd01', 'c09998.jsonl')])),
    argv: ['backfill', 'hist'],
    exit: 1,
    mayWrite: /^home\//,
  },

  // Snapshots
  {
    name: 'restore from a folder that is not there',
    make: migratedApp(),
    argv: ['restore', '--from', 'no-snap', '--target', 'copy.sqlite'],
    exit: 2,
    code: 'E_SNAPSHOT',
  },
  {
    name: 'restore from an unfinished export',
    make: exported((s) => fs.rmSync(path.join(s, 'manifest.json'))),
    argv: ['restore', '--from', 'snap', '--target', 'copy.sqlite'],
    exit: 2,
    code: 'E_SNAPSHOT',
  },
  {
    name: 'restore from a tampered export',
    make: exported((s) => fs.appendFileSync(path.join(s, 'items.jsonl'), '[4,"four"]\n')),
    argv: ['restore', '--from', 'snap', '--target', 'copy.sqlite'],
    exit: 2,
    code: 'E_SNAPSHOT_CHECKSUM',
  },
  {
    name: 'restore from an export whose file is a link',
    make: exported(
      (s) => (
        fs.renameSync(path.join(s, 'items.jsonl'), path.join(s, '..', 'moved.jsonl')),
        fs.symlinkSync(path.join(s, '..', 'moved.jsonl'), path.join(s, 'items.jsonl'))
      ),
    ),
    argv: ['restore', '--from', 'snap', '--target', 'copy.sqlite'],
    exit: 2,
    code: 'E_SNAPSHOT',
  },
  { name: 'verify --db of a file that is not there', make: migratedApp(), argv: ['verify', '--db', 'stat.sqlite'], exit: 2, code: 'E_NO_DATABASE' },
  {
    name: 'export over a folder holding files',
    make: migratedApp((d) => (fs.mkdirSync(path.join(d, 'out')), fs.writeFileSync(path.join(d, 'out', 'keep.txt'), 'mine'))),
    argv: ['export', '--out', 'out'],
    exit: 2,
    code: 'E_TARGET_EXISTS',
  },
  { name: 'tail with a day that does not exist', make: migratedApp(), argv: ['tail', 'items', '--from', '2026-02-30T00:00:00Z'], exit: 64, code: 'E_USAGE' },
];

/** sha256 of every file below dir, by relative path; SQLite's and cairn's sidecars (WAL, shm, lock) aside. */
function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || /(-wal|-shm|\.cairn-lock)$/.test(entry.name)) continue;
    const full = path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    out.set(path.relative(dir, full), crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex'));
  }
  return out;
}

describe('bad input: a loud, safe answer for each', () => {
  it(`has at least 40 rows (${ROWS.length})`, () => assert.ok(ROWS.length >= 40));
  for (const row of ROWS) {
    it(row.name, { timeout: 60_000 }, async () => {
      const dir = await row.make();
      const before = tree(dir);
      const r = await spawnCli(dir, [...row.argv, '--json'], { CAIRN_TRUST_CODE: '' });
      assert.equal(r.code, row.exit, `${row.argv.join(' ')} exited ${r.code}: ${r.stderr}`);
      if (row.code) {
        // A refusal is the document's error; status reports each store's own (stores[].error) and exits as the worst.
        const doc = JSON.parse(r.stdout) as { error?: { code: string; message: string }; stores?: { error: { code: string; message: string } | null }[] };
        const error = doc.error ?? doc.stores?.find((s) => s.error)?.error;
        assert.equal(error?.code, row.code, r.stdout);
        assert.ok((error?.message.length ?? 0) > 20, 'the message says what and where');
      }
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace: every failure is a CairnError');
      const after = tree(dir);
      for (const [file, hash] of before) {
        // Files the run may write (the store it fills) may change; every other file stays byte for byte.
        if (row.mayWrite?.test(file) && /\.sqlite$/.test(file)) continue;
        assert.equal(after.get(file), hash, `${file} ${after.has(file) ? 'changed' : 'is gone'}`);
      }
      const added = [...after.keys()].filter((file) => !before.has(file));
      if (row.exit !== 1) assert.deepEqual(added, [], 'a refusal writes nothing');
      else for (const file of added) assert.match(file, row.mayWrite ?? /^$/, `${file} was written outside home`);
    });
  }
});
