import fs from 'node:fs';
import type { ResolvedStore } from '../config/stores.js';
import type { Env } from '../migrations/envsub.js';
import { readHistory, userTableCount } from '../migrations/history.js';
import { readStoreSource } from '../migrations/migrator.js';
import { schemaState } from '../migrations/plan.js';
import type { Migration, MigrationStatement } from '../migrations/types.js';
import { openDatabase } from '../sqlite/open.js';
import { DEFAULT_PRAGMAS } from '../sqlite/pragmas.js';
import { lintMigrations } from './lint.js';
import { reportOf, type LintReport } from './report.js';

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
  const { migrations, baseline } = readStoreSource(store, options.env);
  const exists = fs.existsSync(store.file);
  const db = exists && !options.all ? openDatabase(store.file, { readonly: true }) : null;
  try {
    const applied = db ? readHistory(db) : [];
    const fresh = applied.length === 0 && (db === null || userTableCount(db) === 0);
    const state = schemaState({ migrations, applied, baseline, fresh });
    const files: Migration[] = state.pending;
    const first: MigrationStatement[] = state.baselinePending && baseline ? baseline.statements : [];
    const findings = lintMigrations({
      migrations: files,
      database: fresh ? null : db,
      baseline: first,
      foreignKeys: store.pragmas.foreign_keys ?? DEFAULT_PRAGMAS.foreign_keys,
    });
    return reportOf(store.name, fresh ? null : (db?.file ?? null), files, findings);
  } finally {
    db?.close();
  }
}
