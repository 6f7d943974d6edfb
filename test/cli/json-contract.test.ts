// The --json contract: every command's document, produced by a real run, is
// one line, names its kind and version first ("schema": "cairn.<kind>/1"),
// and has exactly the fields docs/json.md documents (the same schemas
// generate that page). Every kind must be produced here at least once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { JSON_KINDS, type JsonKind } from '../../dist/cli/json/kinds.js';
import { checkDocuments } from '../json-documents.js';
import { cli, tempDir } from '../helpers.js';
import { HISTORY, jobSource, writeConversations } from '../backfill/helpers.js';
import { CHAIN, CHAIN_PLAN, chainData, writeLegacy } from '../importers/helpers.js';

const LOGS = { '0001_logs.sql': '-- +goose Up\nCREATE TABLE logs (id INTEGER PRIMARY KEY, at TEXT NOT NULL, msg TEXT);\n-- +goose Down\nDROP TABLE logs;\n' };
const GOOSE_FILES = {
  '0001_users.sql': '-- +goose Up\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n-- +goose Down\nDROP TABLE users;\n',
};
// Items marked skip are skipped with a reason, so skipReasons has something in it.
const PLAN = CHAIN_PLAN.replace('(value.skip ? null :', "(value.skip ? { skip: 'marked skip' } :");

/** One app with every feature in use: an import plan, a backfill job, a retained log table, a store another tool migrated. */
function everythingApp(): string {
  const dir = tempDir();
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  };
  for (const [name, text] of Object.entries(CHAIN)) write(`migrations/site/${name}`, text);
  for (const [name, text] of Object.entries(HISTORY)) write(`migrations/hist/${name}`, text);
  for (const [name, text] of Object.entries(LOGS)) write(`migrations/logs/${name}`, text);
  for (const [name, text] of Object.entries(GOOSE_FILES)) write(`migrations/old/${name}`, text);
  write('plans/chain.mjs', PLAN);
  write('jobs/hist.mjs', jobSource());
  const config = {
    home: 'home',
    stores: {
      site: { file: 'site.sqlite', migrations: 'migrations/site' },
      hist: { file: 'hist.sqlite', migrations: 'migrations/hist' },
      logs: { file: 'logs.sqlite', migrations: 'migrations/logs', retention: { logs: { timeColumn: 'at', maxAge: '1d' } } },
      old: { file: 'old.sqlite', migrations: 'migrations/old' },
    },
    imports: { chain: 'plans/chain.mjs' },
    backfills: { hist: 'jobs/hist.mjs' },
  };
  write('cairn.config.json', JSON.stringify(config));
  const data = chainData(3, 4);
  data.items.r1 += JSON.stringify({ skip: true }) + '\n';
  writeLegacy(path.join(dir, 'legacy'), data);
  fs.mkdirSync(path.join(dir, 'home'));
  writeConversations(path.join(dir, 'home'), 5, 6);
  // The `old` store as goose left it.
  const old = new Database(path.join(dir, 'home', 'old.sqlite'));
  old.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)');
  old.exec('CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP)');
  old.exec("INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES (0, 1, '2024-01-01'), (1, 1, '2024-01-01')");
  old.close();
  return dir;
}

describe('the --json contract', () => {
  it('every command prints one line per document, its schema name first, with exactly the documented fields', async () => {
    const seen = new Set<string>();
    const init = tempDir();
    checkDocuments((await cli(init, 'init', '--json')).stdout, 'init', seen);

    const dir = everythingApp();
    const run = async (kind: JsonKind, ...argv: string[]) => {
      const r = await cli(dir, ...argv, '--json');
      assert.equal(r.stderr.includes('Error:'), false, r.stderr);
      return { code: r.code, docs: checkDocuments(r.stdout, kind, seen) };
    };
    await run('status', 'status');
    await run('lint', 'lint', '--store', 'site', '--store', 'hist', '--store', 'logs');
    await run('migrate', 'migrate', '--store', 'site', '--store', 'hist', '--store', 'logs', '--dry-run');
    await run('migrate', 'migrate', '--store', 'site', '--store', 'hist', '--store', 'logs');
    await run('adopt', 'adopt', '--store', 'old', '--from', 'goose');
    // A destructive pending file: lint and status have findings and pending entries to show.
    const drop = path.join(dir, 'migrations', 'logs', '0002_drop.sql');
    fs.writeFileSync(drop, '-- +goose Up\nALTER TABLE logs DROP COLUMN msg;\n');
    const linted = await run('lint', 'lint', '--store', 'logs');
    assert.ok((linted.docs[0]!.stores as { findings: unknown[] }[])[0]!.findings.length > 0, 'the lint found the dropped column');
    await run('status', 'status', '--store', 'logs');
    fs.rmSync(drop);
    await run('redo', 'redo', '--store', 'logs', '--dry-run');
    const created = await run('new', 'new', '--store', 'site', 'add owners');
    fs.rmSync(created.docs[0]!.file as string);

    const imported = await run('import', 'import', 'chain', '--from', 'legacy');
    assert.deepEqual((imported.docs[0]!.sources as Record<string, { skipReasons: object }>).items!.skipReasons, { 'marked skip': 1 });
    await run('backfill', 'backfill', 'hist');
    await run('backfill-status', 'backfill', '--status');

    const logs = new Database(path.join(dir, 'home', 'logs.sqlite'));
    logs.exec(
      "INSERT INTO logs (at, msg) VALUES ('2020-01-01T00:00:00Z', 'old'), (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'new'), (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'x\ty \"z\" 🙂')",
    );
    logs.close();
    await run('prune', 'prune', '--dry-run');
    await run('prune', 'prune');
    const tail = await run('tail', 'tail', 'logs', '-n', '5');
    assert.equal(tail.docs.length, 2, 'one line per row');
    assert.deepEqual(tail.docs[1], { schema: 'cairn.tail/1', store: 'logs', table: 'logs', row: tail.docs[1]!.row });
    await run('sql', 'sql', 'site', 'SELECT id, name FROM zones ORDER BY id');
    await run('doctor', 'doctor');

    const snapshot = path.join(dir, 'snap');
    await run('export', 'export', '--store', 'site', '--out', snapshot);
    await run('restore', 'restore', '--from', snapshot, '--target', path.join(dir, 'copy.sqlite'));
    await run('verify', 'verify', '--store', 'site', '--db', path.join(dir, 'copy.sqlite'), '--snapshot', snapshot);
    await run('cutover', 'cutover', '--store', 'logs');
    await run('baseline', 'baseline', '--store', 'site');
    const refused = await run('error', 'migrate', '--store', 'nope');
    assert.equal(refused.code, 64);
    // A mistake commander itself finds (an unknown option) is the same document.
    const unknown = await run('error', 'status', '--bogus');
    assert.equal(unknown.code, 64);
    assert.match((unknown.docs[0]!.error as { message: string }).message, /unknown option '--bogus'/);

    // cutover --into needs a PostgreSQL store: test/postgres/json-contract.test.ts produces that kind.
    const unseen = JSON_KINDS.filter((kind) => !seen.has(kind) && kind !== 'cutover-into');
    assert.deepEqual(unseen, [], 'every kind is produced by a real run here');
  });
});
