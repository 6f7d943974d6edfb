/**
 * Whether a migration only *adds* to a schema, so that an older release of the
 * app can keep running against a DB that has it applied (users reinstall
 * older versions; local apps must survive that). Judged statement by
 * statement: new tables, views, indexes, triggers, ADD COLUMN and inserted
 * seed rows add; any DROP, RENAME, other ALTER, UPDATE, DELETE or anything
 * not recognised does not.
 */
export function isAdditiveStatement(sql: string): boolean {
  const words = leadingWords(sql, 6);
  const [first, second] = words;
  switch (first) {
    case 'create':
      return true;
    case 'alter':
      // ALTER TABLE name ADD [COLUMN] …, with the name possibly schema-qualified.
      return second === 'table' && /^alter\s+table\s+(?:"[^"]*"|`[^`]*`|\[[^\]]*\]|[^\s(]+)\s+add\b/i.test(stripComments(sql));
    case 'insert':
      return !/^insert\s+or\s+replace\b/i.test(stripComments(sql));
    case 'select':
    case 'pragma':
    case 'analyze':
    case 'vacuum':
    case 'reindex':
    case 'begin':
    case 'commit':
    case 'end':
    case 'savepoint':
    case 'release':
      return true;
    default:
      return false;
  }
}

export function isAdditive(statements: readonly string[]): boolean {
  return statements.every(isAdditiveStatement);
}

function stripComments(sql: string): string {
  return sql
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/--[^\n]*/g, ' ')
    .trim();
}

function leadingWords(sql: string, n: number): string[] {
  return stripComments(sql)
    .split(/[\s(]+/)
    .filter(Boolean)
    .slice(0, n)
    .map((w) => w.toLowerCase());
}
