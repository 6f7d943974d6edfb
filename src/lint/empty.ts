import { isUnwrittenTemplate } from '../migrations/templates.js';
import type { Migration } from '../migrations/types.js';
import type { LintFinding } from './types.js';

/**
 * A SQL file whose Up has no statement: applied, it would record a version
 * that changed nothing, and filling it in afterwards would be refused as an
 * edit. A warning (goose applies such a file, and an empty step can be on
 * purpose); the untouched template of `cairn new` is said to be one, since
 * migrate refuses to apply it. Both engines' lints report it.
 */
export function emptyMigrationFinding(file: Migration): LintFinding | null {
  if (file.format === 'module' || file.up.length > 0) return null;
  // An empty step on purpose says so, as any finding is silenced: a `-- cairn:nolint empty-migration` line in the file.
  if (/--\s*cairn:nolint(?:[ \t]*$|[ \t]+[^\n]*\bempty-migration\b)/m.test(file.source ?? '')) return null;
  const template = isUnwrittenTemplate(file.source);
  return {
    rule: 'empty-migration',
    severity: 'warning',
    file: file.path,
    line: null,
    version: file.version,
    section: 'up',
    message: template
      ? 'it is still the template `cairn new` wrote; migrate refuses to apply it until its Up has a statement'
      : 'its Up section has no statement: applied, it records a version that changes nothing',
    fix: template
      ? "write the change under '-- +goose Up', or delete the file"
      : "write the change under '-- +goose Up', or delete the file if it is not needed",
    statement: '',
  };
}
