import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO, cli, scratchApp, readRows } from '../helpers.js';

// Migration modules take the schema tools from cairndb/migrations.
const INDEX = JSON.stringify(path.join(REPO, 'dist', 'migrations', 'index.js'));
const BASE = `CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, age TEXT);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE);
INSERT INTO users VALUES (1, 'a@x', '31'), (2, 'b@x', '40');
INSERT INTO posts VALUES (1, 1), (2, 2), (3, 1);
`;

describe('TS/JS migrations beside SQL files', () => {
  it('a .ts file runs up(db) in its transaction, is checksum-guarded, and down(db) reverts it', async () => {
    const ts = `import type {} from 'node:fs';
interface Db { prepare(sql: string): { run(...p: unknown[]): unknown; all(): { id: number; email: string }[] }; exec(sql: string): void }
export async function up(db: Db): Promise<void> {
  db.exec('ALTER TABLE users ADD COLUMN domain TEXT');
  await Promise.resolve();
  for (const u of db.prepare('SELECT id, email FROM users').all()) db.prepare('UPDATE users SET domain = ? WHERE id = ?').run(u.email.split('@')[1], u.id);
}
export function down(db: Db): void {
  db.exec('ALTER TABLE users DROP COLUMN domain');
}
`;
    const { dir } = scratchApp({
      state: { '0001_base.sql': BASE, '0002_domains.ts': ts, 'helpers.ts': 'export const x = 1;\n', 'types.d.ts': 'export {};\n' },
    });
    const file = path.join(dir, 'state.sqlite');
    const dry = await cli(dir, 'migrate', '--dry-run');
    assert.match(dry.stdout, /up\s+0002_domains\.ts[\s\S]*-- runs up\(db\) from 0002_domains\.ts/);
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readRows(file, 'SELECT domain FROM users ORDER BY id'), [{ domain: 'x' }, { domain: 'x' }]);
    assert.deepEqual(readRows(file, 'SELECT version, name, additive FROM cairn_migrations ORDER BY version'), [
      { version: 1, name: '0001_base.sql', additive: 1 },
      { version: 2, name: '0002_domains.ts', additive: 0 },
    ]);

    const down = await cli(dir, 'migrate', '--to', '1');
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(
      readRows(file, "SELECT name FROM pragma_table_info('users')").map((c) => (c as { name: string }).name),
      ['id', 'email', 'age'],
    );
    assert.equal((await cli(dir, 'migrate')).code, 0);

    fs.appendFileSync(path.join(dir, 'migrations', 'state', '0002_domains.ts'), '// edited\n');
    const edited = await cli(dir, 'migrate');
    assert.equal(edited.code, 2);
    assert.match(edited.stderr, /0002_domains\.ts changed after it was applied/);
  });

  it('a failing up() rolls back everything it did, and the error names the file', async () => {
    const mjs = `export function up(db) {
  db.exec("INSERT INTO users VALUES (3, 'c@x', '1')");
  throw new Error('no plan for c@x');
}
`;
    const { dir } = scratchApp({ state: { '0001_base.sql': BASE, '0002_bad.mjs': mjs } });
    const r = await cli(dir, 'migrate', '--json');
    assert.equal(r.code, 1);
    assert.match(JSON.parse(r.stdout).stores[0].failed.message, /0002_bad\.mjs: up\(\) failed: no plan for c@x/);
    assert.deepEqual(readRows(path.join(dir, 'state.sqlite'), 'SELECT count(*) AS n FROM users'), [{ n: 2 }]);
    assert.deepEqual(readRows(path.join(dir, 'state.sqlite'), 'SELECT version FROM cairn_migrations'), [{ version: 1 }]);
  });

  it("foreignKeys = 'off' lets up() call rebuildTable() on a parent: every cascading child row is kept", async () => {
    const mjs = `import { rebuildTable } from ${INDEX};
export const foreignKeys = 'off';
export function up(db) {
  rebuildTable(db, 'users', { columns: { id: 'INTEGER PRIMARY KEY', email: 'TEXT NOT NULL UNIQUE', age: 'INTEGER' }, copy: { age: 'CAST(age AS INTEGER)' } });
}
`;
    const withoutOff = mjs.replace("export const foreignKeys = 'off';\n", '');
    const { dir } = scratchApp({ state: { '0001_base.sql': BASE, '0002_rebuild.mjs': withoutOff } });
    const refused = await cli(dir, 'migrate', '--json');
    assert.equal(refused.code, 1);
    assert.match(JSON.parse(refused.stdout).stores[0].failed.message, /foreign keys on would let DROP TABLE cascade/);
    assert.deepEqual(readRows(path.join(dir, 'state.sqlite'), 'SELECT count(*) AS n FROM posts'), [{ n: 3 }]);

    fs.writeFileSync(path.join(dir, 'migrations', 'state', '0002_rebuild.mjs'), mjs);
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const file = path.join(dir, 'state.sqlite');
    assert.deepEqual(readRows(file, 'SELECT age, typeof(age) AS t FROM users ORDER BY id'), [
      { age: 31, t: 'integer' },
      { age: 40, t: 'integer' },
    ]);
    assert.deepEqual(readRows(file, 'SELECT count(*) AS n FROM posts'), [{ n: 3 }]);
  });
});
