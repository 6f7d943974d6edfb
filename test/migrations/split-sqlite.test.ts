import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitSqliteStatements } from '../../dist/migrations/split-sqlite.js';

const sqls = (text: string) => splitSqliteStatements(text).map((s) => s.sql);

describe('plain SQL splitting (SQLite completion rules)', () => {
  it('splits on semicolons and keeps line numbers', () => {
    const out = splitSqliteStatements('CREATE TABLE a (x);\n\nCREATE TABLE b (y);\n');
    assert.deepEqual(out, [
      { sql: 'CREATE TABLE a (x);', line: 1 },
      { sql: 'CREATE TABLE b (y);', line: 3 },
    ]);
  });

  it('ignores ; inside strings, quoted identifiers and comments', () => {
    assert.deepEqual(sqls(`INSERT INTO t VALUES ('a;b', 'it''s;');\nSELECT "x;y", [p;q], \`r;s\` FROM t; -- c;d\n/* e;\nf; */ SELECT 1;`), [
      `INSERT INTO t VALUES ('a;b', 'it''s;');`,
      'SELECT "x;y", [p;q], `r;s` FROM t;',
      'SELECT 1;', // comments before a statement are not part of it
    ]);
  });

  it('keeps a trigger body whole until END;', () => {
    const text = `CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET n = CASE WHEN 1 THEN 2 ELSE 3 END;\n  INSERT INTO log VALUES (';');\nEND;\nSELECT 1;`;
    const out = sqls(text);
    assert.equal(out.length, 2);
    assert.match(out[0]!, /^CREATE TEMP TRIGGER[\s\S]*END;$/);
  });

  it('a final statement without ; still runs; lone semicolons are dropped', () => {
    assert.deepEqual(sqls(';;SELECT 1;; SELECT 2'), ['SELECT 1;', 'SELECT 2']);
  });

  it('comment-only text has no statements', () => {
    assert.deepEqual(sqls('-- nothing\n/* here */\n'), []);
  });

  it('reports unterminated strings and triggers with their line', () => {
    assert.throws(
      () => splitSqliteStatements("SELECT 1;\nSELECT 'open;"),
      (e: Error & { line?: number }) => /unterminated ' quote/.test(e.message) && e.line === 2,
    );
    assert.throws(() => splitSqliteStatements('CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1;'), /missing END/);
  });
});
