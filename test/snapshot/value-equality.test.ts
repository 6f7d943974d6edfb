// Comparing a snapshot line from one engine with the line another engine
// rebuilds from the restored rows: text exactly, numbers by value.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sameNumber, sameRowAcrossEngines, splitLine } from '../../dist/snapshot/value-equality.js';

describe('values compared across engines', () => {
  it('splits a line into its raw values, commas and brackets inside strings and objects kept', () => {
    assert.deepEqual(splitLine('[1,"a,b]",{"$base64":true,"encoded":"AA=="},null,"q\\"]x",[1,2]]'), [
      '1',
      '"a,b]"',
      '{"$base64":true,"encoded":"AA=="}',
      'null',
      '"q\\"]x"',
      '[1,2]',
    ]);
    assert.deepEqual(splitLine('[]'), []);
    assert.equal(splitLine('{"a":1}'), null);
  });

  it('exact decimals: trailing zeros, exponents and -0 are the same value; one more digit is not', () => {
    for (const [a, b] of [
      ['123.4500000000', '123.45'],
      ['0.0000000001', '1.0e-10'],
      ['1', '1.0'],
      ['-0.0', '0'],
      ['1e+300', '1.0e+300'],
      ['9223372036854775807', '9223372036854775807.0'],
    ])
      assert.ok(sameNumber(a, b), `${a} = ${b}`);
    for (const [a, b] of [
      ['99999999999999999999.9999999999', '1.0e+20'],
      ['9223372036854775807', '9223372036854775806'],
      ['0.1', '0.10000000000000001'],
      ['"1"', '1'],
    ])
      assert.ok(!sameNumber(a, b), `${a} ≠ ${b}`);
  });

  it('a float column compares as doubles, any other as exact decimals; text never loosens', () => {
    assert.ok(sameRowAcrossEngines('[5e-324]', '[4.9406564584124654e-324]', ['double']));
    assert.ok(!sameRowAcrossEngines('[5e-324]', '[4.9406564584124654e-324]', ['exact']));
    assert.ok(sameRowAcrossEngines('[1,123.4500,"x"]', '[1,123.45,"x"]', ['exact', 'exact', 'exact']));
    assert.ok(!sameRowAcrossEngines('[1,"x "]', '[1,"x"]', ['exact', 'exact']));
    assert.ok(!sameRowAcrossEngines('[1,2]', '[1,2,3]', ['exact', 'exact']));
    assert.ok(sameRowAcrossEngines('[9.0e+999]', '[9.0e+999]', ['double']));
  });
});
