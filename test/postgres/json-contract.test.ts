// The --json contract on a PostgreSQL store: the server paths of status,
// migrate, lint, sql, tail, export, restore, verify, doctor and baseline print
// the same documented documents as the SQLite ones, and cutover --into its own.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { JsonKind } from '../../dist/cli/json/kinds.js';
import { cliWith } from '../helpers.js';
import { checkDocuments } from '../json-documents.js';
import { mixedServerApp, pgQuery, startPostgres, type TestServer } from './server.js';

let server: TestServer;

describe('the --json contract on a PostgreSQL store', () => {
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  it('every server command prints its documented document', async () => {
    const { dir, env, url } = await mixedServerApp(server, {
      state: { '00001_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n' },
      store: 'shared',
      files: {
        '00001_notes.sql': 'CREATE TABLE notes (id bigint PRIMARY KEY, body text NOT NULL);\n',
        '00002_logs.sql': 'CREATE TABLE logs (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), msg text);\n',
      },
    });
    const db = new Database(path.join(dir, 'state.sqlite'));
    db.exec("INSERT INTO notes VALUES (1, 'one'), (2, 'two \"quoted\"')");
    db.close();
    await pgQuery(url, "INSERT INTO shared.logs (msg) VALUES ('started'), ('a json {\"x\": 1}')");
    const run = async (kind: JsonKind, ...argv: string[]) => {
      const r = await cliWith({ cwd: dir, env }, ...argv, '--json');
      assert.equal(r.code, kind === 'error' ? r.code : 0, r.stderr + r.stdout);
      return checkDocuments(r.stdout, kind);
    };
    await run('status', 'status', '--store', 'shared');
    await run('migrate', 'migrate', '--store', 'shared');
    await run('lint', 'lint', '--store', 'shared');
    await run('sql', 'sql', 'shared', 'SELECT id, at, msg FROM logs ORDER BY id');
    assert.equal((await run('tail', 'tail', 'logs', '--store', 'shared')).length, 2);
    const snapshot = path.join(dir, 'snap');
    await run('export', 'export', '--store', 'shared', '--out', snapshot);
    await run('verify', 'verify', '--store', 'shared', '--snapshot', snapshot);
    await run('doctor', 'doctor', '--store', 'shared');
    await run('baseline', 'baseline', '--store', 'shared', '--out', path.join(dir, 'baseline.sql'));
    const moved = await run('cutover-into', 'cutover', '--store', 'state', '--into', 'shared');
    assert.equal((moved[0]!.move as { rows: number }).rows, 2);
    fs.rmSync(snapshot, { recursive: true });
  });
});
