import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { exitCodeFor } from '../../dist/cli/exit-codes.js';
import { REPO } from '../helpers.js';

it('every CairnError code has a row in the README error table, with the exit code the CLI gives it', () => {
  const declared = [...fs.readFileSync(path.join(REPO, 'src', 'errors.ts'), 'utf8').matchAll(/\|\s*'(E_[A-Z_]+)'/g)].map((m) => m[1] as string);
  assert.ok(declared.length >= 28, `found ${declared.length} codes in src/errors.ts`);
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const rows = new Map([...readme.matchAll(/^\|\s*`(E_[A-Z_]+)`\s*\|\s*(\d+)\s*\|/gm)].map((m) => [m[1] as string, Number(m[2])]));
  for (const code of declared) {
    assert.ok(rows.has(code), `${code} has no row in the README's error codes table`);
    assert.equal(rows.get(code), exitCodeFor(code), `${code}: the README says exit ${rows.get(code)}, the CLI gives ${exitCodeFor(code)}`);
  }
  for (const code of rows.keys()) assert.ok(declared.includes(code), `the README documents ${code}, which the code no longer has`);
});
