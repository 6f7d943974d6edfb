/** The lint's rules; each finding names one, so a team can look it up or silence it (`-- cairn:nolint <rule>`). */
export const LINT_RULES = {
  'statement-fails': 'the statement fails against the schema the earlier migrations build',
  'add-column-not-null': 'ADD COLUMN … NOT NULL without a non-NULL default: fails on any table that has rows',
  'add-column-volatile-default': 'ADD COLUMN with a non-constant default: fails on any table that has rows',
  'unique-index-existing-data': 'a new UNIQUE index over a table that may already hold duplicates',
  'foreign-keys-pragma-in-transaction': 'PRAGMA foreign_keys inside a transaction: SQLite silently ignores it',
  'cascading-drop': "DROP TABLE of a parent whose children cascade: the drop deletes the children's rows",
  'needs-no-transaction': 'a statement that cannot run inside a transaction, in a file that runs in one',
  'breaks-dependents': 'a view or trigger stops compiling after this statement',
  'drop-table': 'DROP TABLE deletes the table and its rows',
  'drop-column': 'DROP COLUMN deletes the column and its values',
  'rebuild-drops-columns': 'a table rebuilt without some of its columns loses their values',
  'if-not-exists-skips': 'CREATE … IF NOT EXISTS of an object that exists with another definition does nothing',
  'empty-migration': 'a SQL migration whose Up section has no statement (the untouched `cairn new` template among them)',
  'not-executed': 'on PostgreSQL: a statement the lint could not run against the server (a NO TRANSACTION file, a busy table); parsed only',
} as const;

export type LintRule = keyof typeof LINT_RULES;
export type LintSeverity = 'error' | 'warning';

export interface LintFinding {
  rule: LintRule;
  /** error: certainly fails or silently loses data (migrate refuses it); warning: destructive or risky, said once. */
  severity: LintSeverity;
  /** The migration file (absolute path) and the line its statement starts on. */
  file: string;
  line: number | null;
  version: number;
  section: 'up' | 'down';
  message: string;
  /** What to do instead. */
  fix: string;
  /** The statement, shortened. */
  statement: string;
}
