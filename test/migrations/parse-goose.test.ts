import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { endsWithSemicolon, extractAnnotation, parseGoose } from '../../dist/migrations/parse-goose.js';
import { REPO } from '../helpers.js';

const FIXTURES = path.join(REPO, 'test', 'fixtures', 'goose');

describe('goose grammar: golden fixtures (test/fixtures/goose/NN/input.sql → NN.up|down.golden.sql)', () => {
  for (const name of fs.readdirSync(FIXTURES).sort()) {
    it(name, () => {
      const dir = path.join(FIXTURES, name);
      const env = fs.existsSync(path.join(dir, 'env.json')) ? JSON.parse(fs.readFileSync(path.join(dir, 'env.json'), 'utf8')) : {};
      const parsed = parseGoose(fs.readFileSync(path.join(dir, 'input.sql'), 'utf8'), env);
      for (const direction of ['up', 'down'] as const) {
        const goldens = fs
          .readdirSync(dir)
          .filter((f) => f.endsWith(`.${direction}.golden.sql`))
          .sort();
        const got = parsed[direction] ?? [];
        assert.equal(got.length, goldens.length, `${direction} statement count`);
        goldens.forEach((g, i) => assert.equal(got[i], fs.readFileSync(path.join(dir, g), 'utf8'), `${direction} statement ${i + 1}`));
      }
    });
  }
});

describe('goose grammar: statement counts', () => {
  const cases: { name: string; sql: string; up: number; down: number | null }[] = [
    {
      name: 'semicolons with trailing comments, several statements on a line stay one statement',
      sql: '-- +goose Up\nCREATE TABLE a (\n  id int\n);      -- one\n\n-- note\nSELECT 2;  -- two\nSELECT 3; SELECT 3; -- three\nSELECT 4;\n\n-- +goose Down\n-- note\nDROP TABLE a;  -- one\n',
      up: 4,
      down: 1,
    },
    { name: 'an Up with only a comment is empty, not an error', sql: '-- +goose Up\n-- nothing yet', up: 0, down: null },
    { name: 'blank lines and comments around empty sections', sql: '\n\n-- lead\n-- +goose Up\n\n-- c\n-- +goose Down\n\n', up: 0, down: 0 },
    {
      name: 'StatementBegin keeps inner semicolons; a block ending without ; is fine',
      sql: '-- +goose Up\n-- +goose StatementBegin\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\n-- +goose StatementEnd\n-- +goose StatementBegin\nSELECT 3\n-- +goose StatementEnd\n\n-- +goose Down\n-- +goose StatementBegin\nDROP TRIGGER t\n-- +goose StatementEnd\n',
      up: 2,
      down: 1,
    },
    {
      name: 'a block followed by plain statements',
      sql: '-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\nSELECT 2;\n-- +goose StatementEnd\n\nCREATE INDEX i\nON a (x);\n\n-- +goose Down\nDROP INDEX i;\nSELECT 1;\n',
      up: 2,
      down: 2,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const parsed = parseGoose(c.sql);
      assert.equal(parsed.up.length, c.up);
      assert.equal(parsed.down === null ? null : parsed.down.length, c.down);
    });
  }

  it('CRLF files split exactly like LF files', () => {
    const lf =
      '-- +goose Up\nCREATE TABLE a (id int);\n-- +goose StatementBegin\nSELECT 1;\nSELECT 2;\n-- +goose StatementEnd\n-- +goose Down\nDROP TABLE a;\n';
    assert.deepEqual(parseGoose(lf.replaceAll('\n', '\r\n')), parseGoose(lf));
  });

  it('NO TRANSACTION is read in any position and any case', () => {
    assert.equal(parseGoose('-- +goose no transaction\n-- +goose Up\nVACUUM;\n').useTransaction, false);
    assert.equal(parseGoose('-- +goose Up\nVACUUM;\n-- +goose NO TRANSACTION\n').useTransaction, false);
    assert.equal(parseGoose('-- +goose Up\nSELECT 1;\n').useTransaction, true);
  });
});

describe('goose grammar: errors', () => {
  const bad: { name: string; sql: string; match: RegExp }[] = [
    { name: 'no Up annotation', sql: 'CREATE TABLE a (id int);\n', match: /goose Up/ },
    { name: 'Down first', sql: '-- +goose Down\nDROP TABLE a;\n', match: /after '-- \+goose Up'/ },
    { name: 'duplicate Up', sql: '-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n-- +goose Up\nSELECT 3;\n', match: /duplicate/ },
    { name: 'missing ; before Down', sql: '\n-- +goose Up\nALTER TABLE post\n\n-- +goose Down\n', match: /missing semicolon/ },
    { name: 'missing ; at end of file', sql: '-- +goose Up\nSELECT 1\n', match: /missing semicolon/ },
    { name: 'StatementBegin without End', sql: '-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n', match: /StatementEnd/ },
    { name: 'StatementEnd without Begin', sql: '-- +goose Up\nSELECT 1;\n-- +goose StatementEnd\n', match: /StatementBegin/ },
    { name: 'misspelt annotation', sql: '-- +goose Upp\nSELECT 1;\n', match: /unknown annotation "Upp"/ },
    { name: 'misspelt StatementBegin', sql: '-- +goose Up\n-- +goose StatmentBegin\nSELECT 1;\n', match: /unknown annotation/ },
    { name: 'annotation with leading whitespace', sql: '  -- +goose Up\nSELECT 1;\n', match: /leading whitespace/ },
    {
      name: 'ENVSUB required variable unset',
      sql: '-- +goose ENVSUB ON\n-- +goose Up\nSELECT ${CAIRN_TEST_UNSET?must be set};\n',
      match: /variable substitution failed: \$CAIRN_TEST_UNSET: must be set/,
    },
    // goose refuses what its interpolation grammar does not have, rather than running a half-substituted statement.
    { name: 'ENVSUB: $ then a digit', sql: '-- +goose ENVSUB ON\n-- +goose Up\nSELECT $1;\n', match: /variable substitution failed: expected a variable name/ },
    {
      name: 'ENVSUB: the := form',
      sql: '-- +goose ENVSUB ON\n-- +goose Up\nSELECT ${A:=b};\n',
      match: /variable substitution failed: unable to parse offset "=b"/,
    },
    {
      name: 'ENVSUB: an unclosed brace',
      sql: '-- +goose ENVSUB ON\n-- +goose Up\nSELECT ${A;\n',
      match: /variable substitution failed: \$\{A…\}: expected an operator/,
    },
    { name: 'ENVSUB: :? is a substring, not a check', sql: '-- +goose ENVSUB ON\n-- +goose Up\nSELECT ${A:?x};\n', match: /unable to parse offset/ },
  ];
  for (const c of bad) {
    it(c.name, () => assert.throws(() => parseGoose(c.sql), c.match));
  }
});

describe('ENVSUB as goose applies it', () => {
  it('is line by line: a value ending in ; ends the statement, and each statement keeps its text as written', () => {
    const parsed = parseGoose('-- +goose ENVSUB ON\n-- +goose Up\nSELECT ${END}\nSELECT 2;\n', { END: '1;' });
    assert.deepEqual(parsed.up, ['SELECT 1;', 'SELECT 2;']);
    assert.deepEqual(parsed.upTemplates, ['SELECT ${END}', null], 'a dry run can show the reference instead of the value');
  });

  it('nested defaults, unset against empty, substrings, and a $ at the end of a line', () => {
    const env = { A: 'alpha', E: '' };
    const one = (line: string): string => parseGoose(`-- +goose ENVSUB ON\n-- +goose Up\n${line}\n`, env).up[0] as string;
    assert.equal(one("SELECT '${B:-${C:-${A}}}';"), "SELECT 'alpha';");
    assert.equal(one("SELECT '${E:-d}' || '${E-d}' || '${B-d}';"), "SELECT 'd' || '' || 'd';");
    // `:-` is always the default operator, so a negative offset needs a space first, as in bash.
    assert.equal(one("SELECT '${A:1}' || '${A:-3}' || '${A:1:2}' || '${A: -4:-1}';"), "SELECT 'lpha' || 'alpha' || 'lp' || 'lph';");
    assert.equal(one("SELECT '\\\\' || '\\$A' || '$$A' || '$(date)';"), "SELECT '\\\\' || '$A' || '$A' || '$(date)';");
    assert.equal(one('SELECT 1; -- costs $'), 'SELECT 1; -- costs $');
  });
});

describe('goose helpers', () => {
  it('extractAnnotation is case-insensitive and strict about shape', () => {
    assert.equal(extractAnnotation('-- +goose Up'), 'up');
    assert.equal(extractAnnotation('-- +goose   UP \t'), 'up');
    assert.equal(extractAnnotation('--+goose statementbegin'), 'statementbegin');
    assert.equal(extractAnnotation('-- +goose NO TRANSACTION'), 'no transaction');
    assert.equal(extractAnnotation('-- +goose envsub on'), 'envsub on');
    assert.throws(() => extractAnnotation('-- +goose'), /empty/);
    assert.throws(() => extractAnnotation('-- +goose unsupported'), /unknown/);
    assert.throws(() => extractAnnotation('\t-- +goose Up'), /leading whitespace/);
    assert.throws(() => extractAnnotation('-- +goose +goose Up'), /multiple/);
  });

  it('endsWithSemicolon reads the last word before a -- comment', () => {
    assert.equal(endsWithSemicolon('END;'), true);
    assert.equal(endsWithSemicolon('END; -- comment'), true);
    assert.equal(endsWithSemicolon('END   ; -- comment'), true);
    assert.equal(endsWithSemicolon('END -- comment'), false);
    assert.equal(endsWithSemicolon('END -- comment ;'), false);
    assert.equal(endsWithSemicolon('END " ; " -- comment'), false);
  });
});
