import { normalizeLineEndings } from './checksum.js';

/**
 * The files `cairn new` writes. A file still exactly as written is not a
 * migration yet: the planner refuses to apply it (an empty file applied
 * would be recorded with its checksum, and filling it in afterwards would
 * then be refused as an edit), and the lint says so.
 */
export const SQL_TEMPLATE = `-- +goose Up
-- Each statement ends with ';'. Wrap triggers in StatementBegin/StatementEnd
-- annotations; add a NO TRANSACTION annotation for statements that cannot run
-- inside a transaction (VACUUM).

-- +goose Down
`;

export const MODULE_TEMPLATE = `import type { Db } from 'cairndb';
import type { MigrationContext } from 'cairndb/migrations';

// Runs in one transaction with its history row. db runs SQL (db.exec,
// db.prepare(sql).run/get/all); ctx.moveTable() brings a table from another
// store. To make the file revertible, export a down(db, ctx) that undoes up.
export function up(db: Db, ctx: MigrationContext): void {}
`;

const TEMPLATES = new Set([SQL_TEMPLATE, MODULE_TEMPLATE].map((t) => t.trim()));

/** The text is one of `cairn new`'s templates, untouched (line endings, a BOM and outer blank lines aside). */
export function isUnwrittenTemplate(text: string | undefined): boolean {
  if (text === undefined) return false;
  return TEMPLATES.has(normalizeLineEndings(text.replace(/^\uFEFF/, '')).trim());
}
