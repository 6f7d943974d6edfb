import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAdditiveStatement } from '../../dist/migrations/classify.js';

describe('additive classification', () => {
  for (const sql of [
    'CREATE TABLE a (x)',
    'create index i on a (x)',
    'ALTER TABLE a ADD COLUMN b TEXT',
    'alter table "my table" add c int default 0',
    'INSERT INTO a VALUES (1)',
    '-- c\nCREATE VIEW v AS SELECT 1',
  ]) {
    it(`adds: ${sql.replace(/\n/g, ' ')}`, () => assert.equal(isAdditiveStatement(sql), true));
  }
  for (const sql of [
    'DROP TABLE a',
    'ALTER TABLE a RENAME TO b',
    'ALTER TABLE a RENAME COLUMN x TO y',
    'ALTER TABLE a DROP COLUMN x',
    'UPDATE a SET x = 1',
    'DELETE FROM a',
    'INSERT OR REPLACE INTO a VALUES (1)',
    'REPLACE INTO a VALUES (1)',
  ]) {
    it(`does not add: ${sql}`, () => assert.equal(isAdditiveStatement(sql), false));
  }
});
