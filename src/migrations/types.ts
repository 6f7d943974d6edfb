import type { RebuildSpec } from '../schema/rebuild.js';

/** One SQL statement of a migration, with the line it starts on for error reports. */
export interface MigrationStatement {
  sql: string;
  /** The statement as written when ENVSUB substituted values into `sql`: shown by a dry run instead of the values. */
  template?: string;
  line?: number;
  /** A `-- +cairn rebuild` block: cairn rebuilds the table (schema/rebuild.ts) instead of running `sql`. */
  rebuild?: { table: string; spec: RebuildSpec };
}

/** A migration file read and parsed from a store's migrations folder. */
export interface Migration {
  version: number;
  /** File name, e.g. `0003_add_index.sql`. */
  name: string;
  /** Absolute path. */
  path: string;
  /** sqlx's reversible layout: the `N_name.down.sql` file the Down was read from (`path` is the `.up.sql`). */
  downPath?: string;
  /** sha256 of the text with line endings normalized and a leading BOM dropped. */
  checksum: string;
  /**
   * The file's text as read. Recorded with the history row, so `cairn redo`
   * can run the Down a DB actually got after the file was edited.
   */
  source?: string;
  /** For a file that starts with a BOM: the checksum as releases before BOM normalization recorded it (see checksum.ts). */
  legacyChecksum?: string | null;
  /** `module`: a TS/JS file exporting `up(db)` (and `down(db)`); its `up`/`down` statements are empty, the code runs instead. */
  format: 'goose' | 'plain' | 'module';
  up: MigrationStatement[];
  /** null when the file has no Down section (plain files never do). */
  down: MigrationStatement[] | null;
  useTransaction: boolean;
  /** Only adds to the schema (see classify.ts). */
  additive: boolean;
  /**
   * Foreign keys are turned off before the file's transaction (a rebuild
   * needs it: DROP TABLE would cascade otherwise) and every key is checked
   * before the commit.
   */
  foreignKeysOff: boolean;
  /**
   * A NO TRANSACTION module that declares `export const rerunnable = true`:
   * its code is safe to run again from the top after a kill (ctx.moveTable
   * is), so an interrupted run is run again instead of refused.
   */
  rerunnable?: boolean;
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
