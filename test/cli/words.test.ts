// Counts and durations read one way everywhere: the noun agrees with its
// number ("1 row", "2 rows", never "1 rows" or "row(s)"), and a duration is in
// the unit people read it in ("850 ms", "4.6 s", "2 min 5 s").
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { duration, plural } from '../../dist/words.js';
import { cli, scratchApp } from '../helpers.js';

/** A noun with a bracketed plural, as messages wrote them ("row(s)"); calls such as `pending(s)` are not nouns. */
const NOUN_WITH_S = /\b(row|table|file|item|migration|version|step|key|column|module|transaction|store|byte|line|record|statement|job|index|check)\(s\)/;

describe('words and numbers in messages', () => {
  it('a count agrees with its noun and groups thousands; a duration picks its unit', () => {
    assert.equal(plural(0, 'row'), '0 rows');
    assert.equal(plural(1, 'row'), '1 row');
    assert.equal(plural(2, 'row'), '2 rows');
    assert.equal(plural(12_000, 'row'), '12,000 rows');
    assert.equal(plural(1, 'pending migration'), '1 pending migration');
    assert.equal(plural(3, 'index', 'indexes'), '3 indexes');
    assert.equal(duration(0.42), '0.4 ms');
    assert.equal(duration(850.4), '850 ms');
    assert.equal(duration(6688), '6.7 s');
    assert.equal(duration(59_940), '59.9 s');
    assert.equal(duration(125_000), '2 min 5 s');
  });

  it('the CLI says "1 row in 1 table" and one unit style, and no message in the code writes "(s)" after a noun', async () => {
    const { dir } = scratchApp({
      state: { '00001_notes.sql': "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\nINSERT INTO notes (body) VALUES ('one');\n" },
    });
    assert.equal((await cli(dir, 'migrate')).code, 0);
    const exported = await cli(dir, 'export', '--store', 'state', '--out', 'snap');
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /1 row in 1 table exported in (\d+(\.\d)? ms|\d+\.\d s)\n/);
    assert.match(exported.stdout, / 1 row +notes\.jsonl/);
    const restored = await cli(dir, 'restore', '--from', 'snap', '--target', 'copy.sqlite');
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /1 row restored into .* in (\d+(\.\d)? ms|\d+\.\d s)\n/);
    assert.match(restored.stdout, /verified: the table equals the snapshot line for line/);

    // The class, not the instances: a "(s)" plural in any message of the source is a regression.
    const src = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'src');
    const offenders: string[] = [];
    const walk = (folder: string): void => {
      for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
        const file = path.join(folder, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (entry.name.endsWith('.ts')) {
          fs.readFileSync(file, 'utf8')
            .split('\n')
            .forEach((line, i) => {
              if (NOUN_WITH_S.test(line) && !/^\s*(\/\/|\*)/.test(line)) offenders.push(`${path.relative(src, file)}:${i + 1}: ${line.trim()}`);
            });
        }
      }
    };
    walk(src);
    assert.deepEqual(offenders, []);
  });
});
