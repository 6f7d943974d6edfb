// The Db seam's public shape: named parameters as SQLite and better-sqlite3
// take them, and a transaction helper that cannot be mistaken for
// better-sqlite3's function-returning `db.transaction(fn)`.
import path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type Db } from '../../dist/index.js';
import { tempDir } from '../helpers.js';

function scratchDb(): Db {
  const db = openDatabase(path.join(tempDir(), 'api.sqlite'));
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)');
  return db;
}

describe('Statement parameters', () => {
  it('binds @name, :name and $name from one object, and mixes with positional ?', () => {
    const db = scratchDb();
    db.prepare('INSERT INTO t (id, name, n) VALUES (@id, :name, $n)').run({ id: 1, name: 'a', n: 10 });
    db.prepare('INSERT INTO t (id, name, n) VALUES (?, @name, ?)').run(2, { name: 'b' }, 20);
    assert.deepEqual(db.prepare('SELECT name, n FROM t WHERE n >= @min ORDER BY id').all({ min: 10 }), [
      { name: 'a', n: 10 },
      { name: 'b', n: 20 },
    ]);
    assert.deepEqual(db.prepare('SELECT id FROM t WHERE name = :name').get({ name: 'b' }), { id: 2 });
    assert.deepEqual([...db.prepare('SELECT id FROM t WHERE n < $max').iterate({ max: 15 })], [{ id: 1 }]);
    assert.deepEqual([...db.prepare('SELECT name FROM t WHERE id > @after ORDER BY id').iterateFirst({ after: 0 })], ['a', 'b']);
    db.close();
  });

  it('refuses a missing named value instead of binding NULL', () => {
    const db = scratchDb();
    assert.throws(() => db.prepare('INSERT INTO t (id, name) VALUES (@id, @name)').run({ id: 1 }), /named parameter|missing/i);
    assert.equal(db.prepare('SELECT count(*) AS c FROM t').get<{ c: number }>()?.c, 0);
    db.close();
  });
});

describe('Db.withTransaction', () => {
  it('runs at once, commits, and returns what the function returned', () => {
    const db = scratchDb();
    const id = db.withTransaction(() => {
      assert.equal(db.inTransaction, true);
      return db.prepare('INSERT INTO t (name) VALUES (?)').run('x').lastInsertRowid;
    });
    assert.equal(id, 1);
    assert.equal(db.inTransaction, false);
    assert.equal(db.prepare('SELECT count(*) AS c FROM t').get<{ c: number }>()?.c, 1);
    db.close();
  });

  it('rolls back everything when the function throws, inner savepoints included', () => {
    const db = scratchDb();
    assert.throws(
      () =>
        db.withTransaction(() => {
          db.prepare('INSERT INTO t (name) VALUES (?)').run('outer');
          db.withTransaction(() => db.prepare('INSERT INTO t (name) VALUES (?)').run('inner'));
          throw new Error('boom');
        }),
      /boom/,
    );
    assert.equal(db.prepare('SELECT count(*) AS c FROM t').get<{ c: number }>()?.c, 0);
    db.close();
  });

  it('has no better-sqlite3-style transaction(fn) to call by mistake: that shape fails before writing', () => {
    const db = scratchDb();
    const loose = db as unknown as { transaction?: unknown };
    assert.equal(loose.transaction, undefined);
    assert.throws(() => (loose.transaction as (fn: () => void) => () => void)(() => db.exec("INSERT INTO t (name) VALUES ('no')"))(), TypeError);
    assert.equal(db.prepare('SELECT count(*) AS c FROM t').get<{ c: number }>()?.c, 0);
    db.close();
  });
});
