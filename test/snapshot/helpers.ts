import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { cli, scratchApp } from '../helpers.js';

/**
 * A schema with every storage class in every kind of column: untyped, each
 * affinity, a STRICT table with ANY, WITHOUT ROWID, AUTOINCREMENT, a
 * self-reference, a generated column, and a trigger that keeps a counter
 * (a restore that fired it again would double the count).
 */
export const EDGE_SCHEMA = {
  '0001_edge.sql': `
CREATE TABLE parents (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, parent_id INTEGER REFERENCES parents (id));
CREATE TABLE kinds (
  k TEXT PRIMARY KEY, anything, r REAL, i INTEGER, t TEXT, b BLOB, n NUMERIC,
  parent_id INTEGER REFERENCES parents (id),
  k_upper TEXT GENERATED ALWAYS AS (upper(k)) VIRTUAL
) WITHOUT ROWID;
CREATE TABLE strict_any (id INTEGER PRIMARY KEY, v ANY) STRICT;
CREATE TABLE no_key (a, b);
CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
INSERT INTO counters VALUES ('kinds', 0);
CREATE TRIGGER kinds_count AFTER INSERT ON kinds BEGIN UPDATE counters SET n = n + 1 WHERE name = 'kinds'; END;
`,
};

/** Edge values: big integers, signed zeros, infinities, blobs (empty too), NULs, emoji, long text, text that looks like numbers or blobs. */
export const EDGE_VALUES: unknown[] = [
  null,
  0,
  -0,
  1,
  1n,
  0.1,
  1 / 3,
  0.1 + 0.2,
  1e300,
  -1e-300,
  5e-324,
  Infinity,
  -Infinity,
  9223372036854775807n,
  -9223372036854775808n,
  9007199254740993n,
  2 ** 53,
  'text',
  '',
  'a\u0000b',
  '😀 emoji and ünïcödé',
  '\u2028\u2029 line separators',
  'x'.repeat(200_000),
  Buffer.alloc(0),
  Buffer.from([0, 1, 2, 255]),
  crypto.randomBytes(5000),
  '1',
  '1.0',
  '{"$base64":true,"encoded":"AA=="}',
  '[1,2]',
];

export async function edgeApp(): Promise<{ dir: string; file: string }> {
  const { dir } = scratchApp({ state: EDGE_SCHEMA });
  const migrated = await cli(dir, 'migrate');
  if (migrated.code !== 0) throw new Error(migrated.stderr);
  const file = path.join(dir, 'state.sqlite');
  const db = new Database(file);
  db.pragma('foreign_keys = ON');
  // Row 2 points at row 3, written after it: restore must not need rows in key order to satisfy the key.
  db.transaction(() => {
    db.pragma('defer_foreign_keys = ON');
    db.prepare('INSERT INTO parents (name, parent_id) VALUES (?, NULL)').run('root');
    db.prepare('INSERT INTO parents (name, parent_id) VALUES (?, 3)').run('points forward');
    db.prepare('INSERT INTO parents (name, parent_id) VALUES (?, 1)').run('child');
    db.prepare('INSERT INTO parents (name, parent_id) VALUES (?, 1)').run('deleted later');
  })();
  db.exec('DELETE FROM parents WHERE id = 4'); // the AUTOINCREMENT counter stays at 4
  const kinds = db.prepare('INSERT INTO kinds (k, anything, r, i, t, b, n, parent_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const strict = db.prepare('INSERT INTO strict_any (v) VALUES (?)');
  const noKey = db.prepare('INSERT INTO no_key (a, b) VALUES (?, ?)');
  EDGE_VALUES.forEach((v, i) => {
    // Every value in every column, where the column takes it (REAL/INTEGER/NUMERIC convert, which is the point).
    const value = v as null | number | bigint | string | Buffer;
    kinds.run(`k${String(i).padStart(3, '0')}`, value, value, value, value, value, value, i % 3 === 0 ? 1 : null);
    strict.run(value);
    noKey.run(value, i);
    noKey.run(value, i); // a duplicate row: tables without a key keep them
  });
  db.close();
  return { dir, file };
}

/** Every file of a snapshot folder but the manifest, by name → bytes hash. */
export function dataFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of fs.readdirSync(dir).sort()) {
    if (name === 'manifest.json') continue;
    out.set(
      name,
      crypto
        .createHash('sha256')
        .update(fs.readFileSync(path.join(dir, name)))
        .digest('hex'),
    );
  }
  return out;
}

export function count(file: string, table: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

export function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}
