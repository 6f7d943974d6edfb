import fs from 'node:fs';
import path from 'node:path';
import { CairnError } from '../errors.js';
import type { MigrationIdentity, SchemaState } from '../migrations/plan.js';

/**
 * A baseline stands for every file up to the store's version, so it is
 * taken only from a store that is exactly what its files say (either
 * engine): cairn-managed, nothing edited, pending, or newer than the app.
 * Returns the version and the files it covers.
 */
export function assertFullyMigrated(
  where: { store: string; label: string },
  state: SchemaState<MigrationIdentity>,
  files: readonly MigrationIdentity[],
): { version: number; covers: string[] } {
  const { store, label } = where;
  if (state.current === null) {
    throw new CairnError('E_SCHEMA_BEHIND', `${label} has no cairn history; a baseline is taken from a DB cairn migrated`, { store });
  }
  if (state.edited.length > 0) {
    throw new CairnError(
      'E_CHECKSUM_MISMATCH',
      `${label}: ${state.edited.map((e) => e.name).join(', ')} changed after being applied; the DB is not what the files say`,
      { store, edited: state.edited },
    );
  }
  if (state.newerThanApp) {
    throw new CairnError('E_NEWER_THAN_APP', `${label} has versions this app has no file for (${state.unknown.map((u) => u.version).join(', ')})`, { store });
  }
  if (state.pending.length > 0) {
    throw new CairnError(
      'E_SCHEMA_BEHIND',
      `${label} has pending migrations (${state.pending.map((m) => m.name).join(', ')}); run cairn migrate --store ${store} first, so the baseline is the whole schema`,
      { store, pending: state.pending.map((m) => m.name) },
    );
  }
  const version = state.current;
  return { version, covers: files.filter((m) => m.version <= version).map((m) => m.name) };
}

/** The baseline file's text: a header saying what it is, then the schema's statements. */
export function baselineText(store: string, version: number, body: string): string {
  return `-- cairn baseline of store ${store} at version ${version}: the schema its migrations built up to there, in one file.\n-- A fresh DB runs this instead of those files; see "baseline" in the store's config.\n\n${body}`;
}

/** Writes the checked baseline; a file already there is replaced only with `force`. */
export function writeBaselineFile(out: string, text: string, force: boolean | undefined): void {
  if (fs.existsSync(out) && !force) {
    throw new CairnError('E_TARGET_EXISTS', `${out} already exists; pass --force to replace it (its old version is in the store's config)`, { file: out });
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, text);
}

/** `migrations/state` → `migrations/state.baseline.sql`: beside the folder, never in it, where it would be read as a migration. */
export function defaultBaselinePath(store: { name: string; baseline: { file: string } | null; migrations: string | null }, fallbackDir: string): string {
  if (store.baseline) return store.baseline.file;
  const folder = store.migrations ?? path.join(fallbackDir, store.name);
  return `${folder.replace(/[\\/]+$/, '')}.baseline.sql`;
}
