// The pure halves of the server's fast paths: values as COPY text fields, and
// snapshot lines as COPY rows. Anything they cannot carry exactly must say so
// (a reason, or null for the statement path), never pass on something altered.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyField } from '../../dist/postgres/copy-text.js';
import { columnKinds, snapshotLineToCopy } from '../../dist/postgres/snapshot-copy.js';

type Plan = Parameters<typeof snapshotLineToCopy>[1];

function plan(types: string[]): Plan {
  return {
    entry: { name: 't', file: 't.jsonl', rows: 1, columns: types.map((_, i) => ({ name: `c${i}`, type: '' })) },
    columns: types.map((type, index) => ({ name: `c${index}`, index, type })),
    droppedColumns: [],
    defaultedColumns: [],
  } as unknown as Plan;
}

const row = (line: string, types: string[]) => snapshotLineToCopy(line, plan(types), columnKinds(plan(types)));

describe('COPY text for the server', () => {
  it('escapes what COPY reads specially and keeps every number exact', () => {
    assert.equal(copyField('a\tb\nc\rd\\e', false), 'a\\tb\\nc\\rd\\\\e');
    assert.equal(copyField('\\N', false), '\\\\N', 'the text \\N is not NULL');
    assert.equal(copyField(null, false), '\\N');
    assert.equal(copyField(-0, false), '-0');
    assert.equal(copyField(5e-324, false), '5e-324');
    assert.equal(copyField(2n ** 63n - 1n, false), '9223372036854775807');
    assert.equal(copyField(new Uint8Array([0, 255]), true), '\\\\x00ff');
    assert.equal(copyField('é', true), '\\\\xc3a9', 'a string for bytea is its UTF-8 bytes');
  });

  it('refuses what PostgreSQL cannot store instead of altering it', () => {
    assert.match((copyField('a\u0000b', false) as { reason: string }).reason, /NUL/);
    assert.match((copyField('\ud800', false) as { reason: string }).reason, /surrogate/);
    assert.match((copyField(new Uint8Array([1]), false) as { reason: string }).reason, /bytea/);
  });

  it('reads snapshot lines without loss: number tokens as written, strings decoded, base64 as hex, infinities for floats only', () => {
    assert.equal(row('[9223372036854775807,"a,b]\\"c",null]', ['bigint', 'text', 'text']), '9223372036854775807\ta,b]"c\t\\N');
    assert.equal(row('[0.1000000000000000055511151231257827,1e-320]', ['numeric', 'double precision']), '0.1000000000000000055511151231257827\t1e-320');
    assert.equal(row('[9.0e+999,-9.0e+999]', ['double precision', 'numeric(10,2)']), 'Infinity\t-Infinity');
    assert.equal(row('[9.0e+999]', ['bigint']), null, 'not a float column: the statement path names it');
    assert.equal(row('[{"$base64":true,"encoded":"AP8="}]', ['bytea']), '\\\\x00ff');
    assert.equal(row('[{"$base64":true,"encoded":"AP8="}]', ['text']), null);
    assert.equal(row('["tab\\there","line\\nnext","back\\\\slash"]', ['text', 'text', 'text']), 'tab\\there\tline\\nnext\tback\\\\slash');
    assert.equal(row('["nul \\u0000"]', ['text']), null, 'NUL goes to the statement path, which names it');
    assert.equal(row('["lone \\ud800"]', ['text']), null);
    assert.equal(row('["🎉 𝄞"]', ['text']), '🎉 𝄞');
    assert.equal(row('[1,2]', ['integer']), '1', 'only the planned columns, by index');
    assert.equal(row('[true]', ['boolean']), null);
    assert.equal(row('["unterminated]', ['text']), null);
    assert.equal(row('{"not":"an array"}', ['text']), null);
  });
});
