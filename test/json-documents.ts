// Checks --json output against the documented schemas (src/cli/json/documents.ts).
import assert from 'node:assert/strict';
import { JSON_DOCUMENTS } from '../dist/cli/json/documents.js';
import type { JsonKind } from '../dist/cli/json/kinds.js';

/** Checks every line of a --json run against its kind's schema; returns the documents. */
export function checkDocuments(stdout: string, expected: JsonKind, seen?: Set<string>): Record<string, unknown>[] {
  assert.ok(stdout.endsWith('\n'), 'a --json document ends with a newline');
  const lines = stdout.slice(0, -1).split('\n');
  return lines.map((line) => {
    const doc = JSON.parse(line) as Record<string, unknown>;
    assert.equal(Object.keys(doc)[0], 'schema', 'the schema name comes first');
    assert.equal(doc.schema, `cairn.${expected}/1`);
    const parsed = JSON_DOCUMENTS[expected].safeParse(doc);
    assert.ok(parsed.success, `${expected}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 5), null, 1)}\n${line.slice(0, 2000)}`);
    seen?.add(expected);
    return doc;
  });
}
