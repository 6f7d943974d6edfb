import fs from 'node:fs';
import path from 'node:path';
import { CairnError } from '../errors.js';
import { isMigrationFileName } from './file-name.js';

// Listing a folder is kept apart from reading and parsing its files, so a
// caller that only needs names and versions (status on an up-to-date store)
// loads none of the parsers.

/** `NNNN_description.sql` (or `.ts`/`.mts`/`.mjs`/`.js`): any number of digits (goose timestamps too), then `_`. */
const NAME = /^(\d+)_([^/\\]+)\.(sql|ts|mts|mjs|js)$/;

export interface MigrationFileRef {
  version: number;
  name: string;
  path: string;
  /** sqlx's reversible layout: `N_name.up.sql` (this ref) with its `N_name.down.sql` (see pairDownFiles). */
  downPath?: string;
}

/** sqlx's reversible pair (`sqlx migrate add -r`): `N_name.up.sql` and `N_name.down.sql` are one migration. */
const PAIR = /^(\d+_[^/\\]+)\.(up|down)\.sql$/i;

/**
 * Lists a migrations folder: every `.sql` file must be named `NNNN_name.sql`
 * and no two may share a version. Nothing is skipped silently: a bad name or a
 * duplicate is an error naming the file(s). Other files (README.md …) are ignored.
 * A missing folder is an error, never "no migrations": a typo in the config
 * must not migrate a store to an empty schema and call it done.
 */
export function listMigrationFiles(dir: string, options: { exclude?: readonly string[]; key?: string } = {}): MigrationFileRef[] {
  const names = readFolder(dir, options.key ?? 'migrations');
  const exclude = new Set((options.exclude ?? []).map((p) => path.resolve(p)));
  const byVersion = new Map<number, MigrationFileRef>();
  const downs: MigrationFileRef[] = [];
  for (const name of names.sort()) {
    if (!isMigrationFileName(name)) continue;
    const full = path.resolve(dir, name);
    if (exclude.has(full)) continue;
    const match = NAME.exec(name);
    // A misnamed .sql file is a mistake; a .ts/.js file without a number is a helper the migrations import.
    if (!match && !/\.sql$/i.test(name)) continue;
    if (!match) {
      throw new CairnError(
        'E_MIGRATION_SOURCE',
        `${full}: migration file names must look like NNNN_description.sql (a number, an underscore, a name); rename it, or move it out of ${dir}`,
        { file: full },
      );
    }
    const version = Number(match[1]);
    if (!Number.isSafeInteger(version)) {
      throw new CairnError('E_MIGRATION_SOURCE', `${full}: version ${match[1]} is too large (at most ${Number.MAX_SAFE_INTEGER})`, { file: full });
    }
    if (PAIR.exec(name)?.[2]?.toLowerCase() === 'down') {
      downs.push({ version, name, path: full });
      continue;
    }
    const clash = byVersion.get(version);
    if (clash) {
      throw new CairnError(
        'E_MIGRATION_SOURCE',
        `${clash.name} and ${name} in ${dir} both have version ${version}; renumber one of them (a version is the file's number prefix)`,
        { files: [clash.path, full], version },
      );
    }
    byVersion.set(version, { version, name, path: full });
  }
  pairDownFiles(dir, byVersion, downs);
  return [...byVersion.values()].sort((a, b) => a.version - b.version);
}

/**
 * Gives each `N_name.down.sql` to its `N_name.up.sql`: the pair is one
 * migration (its Down read from the second file), so an app that used sqlx's
 * reversible layout adopts cairn without deleting its down files. A down file
 * with no up file of the same name, or beside a file of another kind with its
 * version, is an error naming both: guessing which Down goes with which Up
 * would revert with the wrong one.
 */
function pairDownFiles(dir: string, byVersion: Map<number, MigrationFileRef>, downs: readonly MigrationFileRef[]): void {
  for (const down of downs) {
    const up = byVersion.get(down.version);
    const base = PAIR.exec(down.name)![1]!;
    const expected = `${base}.up.sql`;
    if (!up || up.name.toLowerCase() !== expected.toLowerCase()) {
      throw new CairnError(
        'E_MIGRATION_SOURCE',
        up
          ? `${down.name} and ${up.name} in ${dir} both have version ${down.version}, but a .down.sql file pairs only with the .up.sql file of its name (${expected}); rename them to match, or renumber one`
          : `${down.path}: a down file with no ${expected} beside it; add the up file, or delete the down file`,
        { files: up ? [up.path, down.path] : [down.path], version: down.version },
      );
    }
    if (up.downPath) {
      throw new CairnError('E_MIGRATION_SOURCE', `${up.downPath} and ${down.path} are both down files of ${up.name}; keep one`, {
        files: [up.downPath, down.path],
        version: down.version,
      });
    }
    up.downPath = down.path;
  }
}

/** A declared folder's entries; a folder that is not there (or not a folder) is the config's mistake, named by its key. */
function readFolder(dir: string, key: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new CairnError(
        'E_CONFIG',
        `${key}: the migrations folder ${dir} does not exist; fix the path, create the folder, or declare "migrations": false for a store with none`,
        {
          key,
          dir,
        },
      );
    }
    if (code === 'ENOTDIR') throw new CairnError('E_CONFIG', `${key}: ${dir} is a file, not a folder of migrations; point it at the folder`, { key, dir });
    if (code === 'EACCES' || code === 'EPERM') {
      throw new CairnError('E_PERMISSION', `${key}: ${dir} cannot be read by this user (${code}); fix its permissions`, { key, dir }, { cause: error });
    }
    throw error;
  }
}
