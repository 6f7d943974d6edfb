import { importModule } from '../config/load.js';
import { CairnError, errorMessage } from '../errors.js';
import type { Db } from '../sqlite/db.js';
import type { MigrationContext } from './context.js';
import { checksum, checksumWithBom } from './checksum.js';
import type { Migration } from './types.js';

/**
 * A migration written as code: `NNNN_name.ts` (or .mts/.mjs/.js) exporting
 *
 *   export function up(db: Db, ctx: MigrationContext): void | Promise<void>
 *   export function down(db: Db, ctx: MigrationContext): void | Promise<void>   // optional
 *   export const transaction = false;                      // optional: run outside a transaction
 *   export const foreignKeys = 'off';                      // optional: foreign keys off around the transaction (rebuildTable needs it)
 *   export const rerunnable = true;                        // optional, with transaction = false: safe to run again after a kill
 *
 * It runs in one transaction with its history row, like a SQL file, and is
 * checksum-guarded on its text. The options are read from the text when the
 * folder is listed (planning never runs app code) and checked against the
 * module when it is loaded to run.
 */
export interface MigrationModule {
  up: (db: Db, ctx: MigrationContext) => unknown;
  down?: (db: Db, ctx: MigrationContext) => unknown;
  transaction?: boolean;
  foreignKeys?: 'on' | 'off';
}

export function describeModuleMigration(file: { version: number; name: string; path: string; text: string }): Migration {
  const text = file.text;
  const down = /export\s+(async\s+)?function\s+down\b|export\s+(const|let|var)\s+down\b|export\s*\{[^}]*\bdown\b[^}]*\}/.test(text);
  return {
    version: file.version,
    name: file.name,
    path: file.path,
    checksum: checksum(text),
    source: text,
    legacyChecksum: checksumWithBom(text),
    format: 'module',
    up: [],
    down: down ? [] : null,
    useTransaction: !/export\s+const\s+transaction\s*=\s*false\b/.test(text),
    // Code can do anything: never additive, so an older app never runs on top of it unwarned.
    additive: false,
    foreignKeysOff: /export\s+const\s+foreignKeys\s*=\s*['"]off['"]/.test(text),
    rerunnable: /export\s+const\s+rerunnable\s*=\s*true\b/.test(text),
  };
}

/** Loads the module to run it, checking it says what its text said. */
export async function loadMigrationModule(migration: Migration): Promise<MigrationModule> {
  let mod: Record<string, unknown>;
  try {
    mod = (await importModule(migration.path, { version: migration.checksum })) as Record<string, unknown>;
  } catch (error) {
    throw new CairnError('E_MIGRATION_FAILED', `${migration.name} could not be loaded: ${errorMessage(error)}`, { file: migration.path }, { cause: error });
  }
  const up = mod.up;
  if (typeof up !== 'function') {
    throw new CairnError('E_MIGRATION_FAILED', `${migration.name} does not export a function up(db)`, { file: migration.path });
  }
  const transaction = mod.transaction === undefined ? true : mod.transaction;
  const foreignKeys = mod.foreignKeys ?? 'on';
  if (transaction !== migration.useTransaction || (foreignKeys === 'off') !== migration.foreignKeysOff) {
    throw new CairnError(
      'E_MIGRATION_FAILED',
      `${migration.name}: write its options as plain top-level constants (export const transaction = false; export const foreignKeys = 'off'), so cairn can read them without running the file`,
      { file: migration.path },
    );
  }
  return { up: up as MigrationModule['up'], down: typeof mod.down === 'function' ? (mod.down as MigrationModule['down']) : undefined };
}
