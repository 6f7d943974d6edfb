// Plain SQL files for a PostgreSQL store are split as psql splits them; each
// case is also run on a real server, so "split right" means "PostgreSQL ran
// every piece and got the objects the file describes".
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { splitPostgresStatements } from '../../dist/migrations/split-postgres.js';
import { startPostgres, type TestServer } from './server.js';

const CASES: Array<{ name: string; sql: string; statements: number; check: string }> = [
  {
    name: 'dollar-quoted function bodies, tagged and untagged, with ; inside',
    sql: `CREATE TABLE t (id int);
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN INSERT INTO t VALUES (1); RETURN 1; END; $$;
CREATE FUNCTION g() RETURNS text LANGUAGE plpgsql AS $body$ BEGIN RETURN 'a;$$b'; END; $body$;
SELECT f();`,
    statements: 4,
    check: "SELECT (SELECT count(*) FROM t) = 1 AND g() = 'a;$$b'",
  },
  {
    name: "E'' strings with backslash escapes, standard strings with a backslash, doubled quotes",
    sql: `CREATE TABLE s (v text);
INSERT INTO s VALUES (E'it\\'s; fine'), ('back\\slash; ok'), ('it''s; also');
INSERT INTO s VALUES (U&'d\\0061t\\+000061;');`,
    statements: 3,
    check: "SELECT count(*) = 4 AND bool_or(v = 'it''s; fine') AND bool_or(v = 'back\\slash; ok') AND bool_or(v = 'data;') FROM s",
  },
  {
    name: 'nested block comments and line comments holding ; and quotes',
    sql: `/* outer /* inner; ' */ still comment; */ CREATE TABLE c (id int); -- trailing; 'comment
-- a whole line; with "quotes
INSERT INTO c VALUES (1) /* ; */;`,
    statements: 2,
    check: 'SELECT count(*) = 1 FROM c',
  },
  {
    name: 'quoted identifiers with ; and doubled quotes',
    sql: `CREATE TABLE "we;ird""name" ("col;1" int);
INSERT INTO "we;ird""name" VALUES (7);`,
    statements: 2,
    check: 'SELECT "col;1" = 7 FROM "we;ird""name"',
  },
  {
    name: 'a SQL-standard function body (BEGIN ATOMIC … END) with CASE and ; inside',
    sql: `CREATE TABLE a (v int);
CREATE OR REPLACE FUNCTION add_one(x int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
  INSERT INTO a VALUES (CASE WHEN x > 0 THEN x ELSE 0 END);
  SELECT x + 1;
END;
CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO a VALUES (100); END;
CALL p();
SELECT add_one(4);`,
    statements: 5,
    check: 'SELECT array_agg(v ORDER BY v) = ARRAY[4, 100] FROM a',
  },
  {
    name: 'a $1 parameter is not a dollar quote, and $ inside identifiers',
    sql: `CREATE TABLE d (a$b int);
PREPARE q(int) AS INSERT INTO d VALUES ($1);
EXECUTE q(5);
DEALLOCATE q;`,
    statements: 4,
    check: 'SELECT a$b = 5 FROM d',
  },
  {
    name: 'a last statement without ; and empty statements',
    sql: `;;CREATE TABLE e (id int);;
INSERT INTO e VALUES (1)`,
    statements: 2,
    check: 'SELECT count(*) = 1 FROM e',
  },
];

describe('splitting SQL the way PostgreSQL reads it', () => {
  let server: TestServer;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const statements = splitPostgresStatements(c.sql);
      assert.equal(statements.length, c.statements, JSON.stringify(statements, null, 1));
      const client = new pg.Client({ connectionString: server.url(await server.createDatabase()) });
      await client.connect();
      try {
        for (const s of statements) await client.query(s.sql);
        const check = await client.query(c.check);
        assert.equal(Object.values(check.rows[0] as object)[0], true, `check failed: ${c.check}`);
      } finally {
        await client.end();
      }
    });
  }

  it('names the line of what is left open instead of swallowing the rest of the file', () => {
    const cases: Array<[string, RegExp, number]> = [
      ["SELECT 1;\nSELECT 'open;\nSELECT 2;", /unterminated string/, 2],
      ['SELECT 1;\n\nSELECT $tag$ body; ;', /unterminated dollar-quoted string \$tag\$/, 3],
      ['/* a /* b */ still open;\nSELECT 1;', /unterminated \/\* comment/, 1],
      ['SELECT "open;\n', /unterminated quoted identifier/, 1],
      ['SELECT 1;\nSELECT (1;\n', /a \( is never closed/, 2],
      ['CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1;\n', /BEGIN without its END/, 1],
    ];
    for (const [sql, message, line] of cases) {
      assert.throws(
        () => splitPostgresStatements(sql),
        (error: Error & { line?: number }) => message.test(error.message) && error.line === line,
        sql,
      );
    }
  });

  it('keeps each statement with the line it starts on', () => {
    const statements = splitPostgresStatements('-- header\n\nCREATE TABLE x (id int);\n/* c */ INSERT INTO x\nVALUES (1);\n\n\nSELECT 1');
    assert.deepEqual(
      statements.map((s) => [s.line, s.sql]),
      [
        [3, 'CREATE TABLE x (id int);'],
        [4, 'INSERT INTO x\nVALUES (1);'],
        [8, 'SELECT 1'],
      ],
    );
  });
});
