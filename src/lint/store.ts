import type { ResolvedStore } from '../config/stores.js';
import type { Env } from '../migrations/envsub.js';
import { planInput } from '../migrations/migrator.js';
import { schemaState } from '../migrations/plan.js';
import type { Migration } from '../migrations/types.js';
import { openDatabase } from '../sqlite/open.js';
import { inReadTransaction } from '../sqlite/read-transaction.js';
import { foreignKeysOn } from '../sqlite/pragmas.js';
import { lintMigrations } from './lint.js';
import { reportOf, type LintReport } from './report.js';
import { databaseExists } from '../sqlite/files.js';

export interface LintOptions {
  /** Every file a fresh database runs (the baseline, then each file above it), from an empty schema, instead of the pending ones. */
  all?: boolean;
  env?: Env;
}

/**
 * Lints a store's pending migrations against its database's schema (or,
 * with `all`, every file against an empty one). Reads only: the database
 * is opened read-only and never created.
 */
export function lintStore(store: ResolvedStore, options: LintOptions = {}): LintReport {
  const exists = databaseExists(store.file);
  const db = exists && !options.all ? openDatabase(store.file, { readonly: true }) : null;
  try {
    // Another process may be migrating: history and schema are read at one moment.
    return inReadTransaction(db, () => {
      const input = planInput(store, db, options.env);
      const state = schemaState(input);
      const files: Migration[] = state.pending;
      const findings = lintMigrations({
        migrations: files,
        database: input.fresh ? null : db,
        baseline: state.baselinePending && input.baseline ? input.baseline.statements : [],
        foreignKeys: foreignKeysOn(store.pragmas),
      });
      return reportOf(store.name, input.fresh ? null : (db?.file ?? null), files, findings);
    });
  } finally {
    db?.close();
  }
}
