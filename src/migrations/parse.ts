import { CairnError } from '../errors.js';
import { checksum, normalizeLineEndings } from './checksum.js';
import { isAdditive } from './classify.js';
import type { Env } from './envsub.js';
import { GooseParseError, hasGooseAnnotations, parseGoose } from './parse-goose.js';
import { splitSqliteStatements, SqlSplitError } from './split-sqlite.js';
import type { Migration } from './types.js';

/**
 * Turns one file's text into a Migration. A file with any goose annotation is
 * read with goose's grammar; a plain file is all "up", split as SQLite reads SQL.
 */
export function parseMigration(file: { version: number; name: string; path: string; text: string }, env: Env = process.env): Migration {
  const text = normalizeLineEndings(file.text.startsWith('\uFEFF') ? file.text.slice(1) : file.text);
  const sum = checksum(file.text);
  try {
    if (hasGooseAnnotations(text)) {
      const sections = parseGoose(text, env);
      const up = sections.up.map((sql, i) => ({ sql, line: sections.upLines[i] }));
      return {
        version: file.version,
        name: file.name,
        path: file.path,
        checksum: sum,
        format: 'goose',
        up,
        down: sections.down ? sections.down.map((sql, i) => ({ sql, line: sections.downLines?.[i] })) : null,
        useTransaction: sections.useTransaction,
        additive: isAdditive(sections.up),
      };
    }
    const up = splitSqliteStatements(text);
    return {
      version: file.version,
      name: file.name,
      path: file.path,
      checksum: sum,
      format: 'plain',
      up,
      down: null,
      useTransaction: true,
      additive: isAdditive(up.map((s) => s.sql)),
    };
  } catch (error) {
    if (error instanceof GooseParseError || error instanceof SqlSplitError) {
      throw new CairnError('E_MIGRATION_PARSE', `${file.path}:${error.line}: ${error.message}`, { file: file.path, line: error.line }, { cause: error });
    }
    throw error;
  }
}
