import { CairnError } from '../errors.js';
import { checksum, checksumWithBom, normalizeLineEndings } from './checksum.js';
import { isAdditive } from './classify.js';
import type { Env } from './envsub.js';
import { GooseParseError, hasGooseAnnotations, parseGoose } from './parse-goose.js';
import { splitPostgresStatements } from './split-postgres.js';
import { splitSqliteStatements, SqlSplitError } from './split-sqlite.js';
import { extractRebuildBlocks, hasCairnAnnotations, RebuildBlockError } from './rebuild-blocks.js';
import type { Migration, MigrationStatement } from './types.js';

/** Which database a store's files are written for: it decides how a plain file is cut into statements. */
export type SqlDialect = 'sqlite' | 'postgres';

/**
 * Turns one file's text into a Migration. A file with any goose annotation is
 * read with goose's grammar (the same for every database, as in goose); a
 * plain file is all "up", split the way the store's database reads SQL.
 */
export function parseMigration(
  file: { version: number; name: string; path: string; text: string },
  env: Env = process.env,
  dialect: SqlDialect = 'sqlite',
): Migration {
  const original = normalizeLineEndings(file.text.startsWith('\uFEFF') ? file.text.slice(1) : file.text);
  const sum = checksum(file.text);
  try {
    // Rebuild blocks are cut out first (lines kept), so goose's grammar and the splitter never see them.
    const { text, blocks } = hasCairnAnnotations(original) ? extractRebuildBlocks(original) : { text: original, blocks: [] };
    if (blocks.length > 0 && dialect !== 'sqlite') {
      throw new RebuildBlockError(
        "-- +cairn rebuild is SQLite's table rebuild; on PostgreSQL, ALTER TABLE changes a column's type or constraints in place",
        blocks[0]!.line,
      );
    }
    const rebuilds = (from: number, to: number): MigrationStatement[] =>
      blocks.filter((b) => b.line > from && b.line < to).map((b) => ({ sql: b.text, line: b.line, rebuild: { table: b.table, spec: b.spec } }));
    const byLine = (a: MigrationStatement, b: MigrationStatement): number => (a.line ?? 0) - (b.line ?? 0);
    const common = {
      version: file.version,
      name: file.name,
      path: file.path,
      checksum: sum,
      source: file.text,
      legacyChecksum: checksumWithBom(file.text),
      foreignKeysOff: blocks.length > 0,
    };
    if (hasGooseAnnotations(text)) {
      const sections = parseGoose(text, env);
      const downAt = text.split('\n').findIndex((line) => /^--.*\+goose\s+down\b/i.test(line)) + 1 || Infinity;
      const statement = (sql: string, line: number | undefined, template: string | null | undefined): MigrationStatement =>
        template ? { sql, line, template } : { sql, line };
      const up = [...sections.up.map((sql, i) => statement(sql, sections.upLines[i], sections.upTemplates[i])), ...rebuilds(0, downAt)].sort(byLine);
      const down = sections.down
        ? [...sections.down.map((sql, i) => statement(sql, sections.downLines?.[i], sections.downTemplates?.[i])), ...rebuilds(downAt, Infinity)].sort(byLine)
        : null;
      return {
        ...common,
        format: 'goose',
        up,
        down,
        useTransaction: sections.useTransaction,
        additive: blocks.length === 0 && isAdditive(sections.up),
      };
    }
    const split = dialect === 'postgres' ? splitPostgresStatements : splitSqliteStatements;
    const up = [...split(text), ...rebuilds(0, Infinity)].sort(byLine);
    return {
      ...common,
      format: 'plain',
      up,
      down: null,
      useTransaction: true,
      additive: blocks.length === 0 && isAdditive(up.map((s) => s.sql)),
    };
  } catch (error) {
    if (error instanceof GooseParseError || error instanceof SqlSplitError || error instanceof RebuildBlockError) {
      throw new CairnError('E_MIGRATION_PARSE', `${file.path}:${error.line}: ${error.message}`, { file: file.path, line: error.line }, { cause: error });
    }
    throw error;
  }
}
