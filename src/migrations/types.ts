/** One SQL statement of a migration, with the line it starts on for error reports. */
export interface MigrationStatement {
  sql: string;
  line?: number;
}

/** A migration file read and parsed from a store's migrations folder. */
export interface Migration {
  version: number;
  /** File name, e.g. `0003_add_index.sql`. */
  name: string;
  /** Absolute path. */
  path: string;
  /** sha256 of the text with line endings normalized. */
  checksum: string;
  format: 'goose' | 'plain';
  up: MigrationStatement[];
  /** null when the file has no Down section (plain files never do). */
  down: MigrationStatement[] | null;
  useTransaction: boolean;
  /** Only adds to the schema (see classify.ts). */
  additive: boolean;
}

/** A row of the cairn_migrations history table. */
export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: string;
  durationMs: number;
  additive: boolean;
  kind: 'migration' | 'baseline';
}

export interface BaselineSpec {
  /** Absolute path of the DDL snapshot. */
  file: string;
  version: number;
}
