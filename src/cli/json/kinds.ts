/**
 * The kinds of document `--json` prints, one per command (and one for an
 * error). Each document names itself in its first field, `"schema":
 * "cairn.<kind>/<version>"`, so a consumer can tell what it holds and refuse a
 * version it does not know. documents.ts describes each kind's fields.
 */
export const JSON_KINDS = [
  'init',
  'status',
  'migrate',
  'redo',
  'lint',
  'new',
  'baseline',
  'adopt',
  'import',
  'backfill',
  'backfill-status',
  'doctor',
  'verify',
  'tail',
  'sql',
  'prune',
  'export',
  'restore',
  'cutover',
  'cutover-into',
  'error',
] as const;

export type JsonKind = (typeof JSON_KINDS)[number];

/** Every kind is at version 1; a kind's version goes up only when a field is removed or changes meaning. */
export const JSON_DOCUMENT_VERSION = 1;

export function schemaName(kind: JsonKind): string {
  return `cairn.${kind}/${JSON_DOCUMENT_VERSION}`;
}
