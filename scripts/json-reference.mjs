// Writes the field reference in docs/json.md from the schemas the contract
// test checks every command's output against (src/cli/json/documents.ts), so
// a documented field cannot drift from what the CLI prints. `node
// scripts/json-reference.mjs` rewrites the generated part; `--check` exits 1
// when it is stale (test/docs/reference.test.ts runs the same comparison).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cell, generatedMarkers, withGenerated, writeOrCheck } from './generated-section.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
export const JSON_DOC = path.join(root, 'docs', 'json.md');
const MARKERS = generatedMarkers('json-reference.mjs');

/** A JSON Schema node's type, as a reader wants it: `string`, `number \| null`, `"ok" \| "warn"`, `object[]`. */
function typeOf(node) {
  if (node.anyOf) return node.anyOf.map(typeOf).join(' | ');
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (node.type === 'array') return `${node.items ? typeOf(node.items) : 'any'}[]`;
  if (node.type === 'integer') return 'integer';
  if (node.type === 'object' && node.additionalProperties && typeof node.additionalProperties === 'object' && !node.properties)
    return `{ [key]: ${typeOf(node.additionalProperties)} }`;
  return node.type ?? 'any';
}

/** The object a node holds fields of (itself, its array items, its record values, its non-null branch), or null. */
function fieldsOf(node) {
  if (node.anyOf) return node.anyOf.map(fieldsOf).find(Boolean) ?? null;
  if (node.type === 'array' && node.items) return fieldsOf(node.items);
  if (node.type === 'object' && node.properties) return node;
  if (node.type === 'object' && node.additionalProperties && typeof node.additionalProperties === 'object') return fieldsOf(node.additionalProperties);
  return null;
}

function suffix(node) {
  if (node.anyOf) return node.anyOf.map(suffix).find((s) => s) ?? '';
  if (node.type === 'array') return '[]';
  if (node.type === 'object' && !node.properties) return '.<key>';
  return '';
}

function rows(node, prefix, out, depth) {
  const required = new Set(node.required ?? []);
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    const field = `${prefix}${name}`;
    const notes = [child.description ?? '', required.has(name) ? '' : '(absent when it does not apply)'].filter(Boolean).join(' ');
    out.push(`| \`${cell(field)}\` | ${cell(typeOf(child))} | ${cell(notes)} |`);
    // A part another document lists in full (`as in cairn.migrate/1`) is named, not repeated.
    const inner = /as in `cairn\./.test(child.description ?? '') ? null : fieldsOf(child);
    if (inner && depth < 3) rows(inner, `${field}${suffix(child)}.`, out, depth + 1);
  }
}

/** The generated markdown: one section per document kind. */
export async function jsonReference() {
  const { z } = await import('zod');
  const { JSON_DOCUMENTS, JSON_PRODUCERS } = await import(pathToFileURL(path.join(root, 'dist', 'cli', 'json', 'documents.js')).href);
  const out = [MARKERS.start, ''];
  for (const [kind, schema] of Object.entries(JSON_DOCUMENTS)) {
    const json = z.toJSONSchema(schema, { unrepresentable: 'any' });
    out.push(`## cairn.${kind}/1`, '', `Printed by ${JSON_PRODUCERS[kind]}.`, '', '| field | type | meaning |', '| --- | --- | --- |');
    rows(json, '', out, 0);
    out.push('');
  }
  out.push(MARKERS.end);
  return out.join('\n');
}

/** JSON_DOC with its generated part replaced by `generated`, formatted as `prettier --write` leaves it. */
export async function withReference(text, generated) {
  return withGenerated(JSON_DOC, text, generated, MARKERS);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeOrCheck(JSON_DOC, 'json-reference.mjs', async (current) => withReference(current, await jsonReference()));
}
