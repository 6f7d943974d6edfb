import { CairnError } from '../errors.js';
import { checksum } from './checksum.js';
import type { Env } from './envsub.js';
import { parseMigration, type SqlDialect } from './parse.js';
import type { Migration } from './types.js';

/** What a pair's recorded text starts with: the two files' texts, kept apart (see pairSource). */
const PAIR_KIND = 'cairn.sqlx-pair/1';

interface PairRef {
  version: number;
  name: string;
  path: string;
  downPath: string;
}

/**
 * sqlx's reversible layout read as one migration: the Up from
 * `N_name.up.sql`, the Down from `N_name.down.sql`, each split as the store's
 * database reads SQL (goose annotations work too, but neither file may carry
 * a Down section of its own). The checksum covers both files, so an edited
 * down file is an edit as an edited goose Down section is; adopting sqlx's
 * history still compares sqlx's own checksum with the up file alone.
 */
export function parsePairedMigration(ref: PairRef, upText: string, downText: string, env?: Env, dialect: SqlDialect = 'sqlite'): Migration {
  const up = parseMigration({ ...ref, text: upText }, env, dialect);
  const down = parseMigration({ version: ref.version, name: ref.name, path: ref.downPath, text: downText }, env, dialect);
  const both = (what: string): never => {
    throw new CairnError('E_MIGRATION_SOURCE', `${what}; a pair's Up is the .up.sql file and its Down the .down.sql file`, {
      files: [ref.path, ref.downPath],
      version: ref.version,
    });
  };
  if (up.down !== null) both(`${ref.path} has a '-- +goose Down' section and a down file beside it (${ref.downPath}); keep one`);
  if (down.down !== null) both(`${ref.downPath} has a '-- +goose Down' section of its own`);
  if (down.useTransaction !== up.useTransaction) both(`${ref.path} and ${ref.downPath}: NO TRANSACTION must be in both files or in neither`);
  return {
    ...up,
    downPath: ref.downPath,
    checksum: checksum(`${stripBom(upText)}\u0000${stripBom(downText)}`),
    legacyChecksum: null,
    source: pairSource(upText, downText),
    down: down.up,
    foreignKeysOff: up.foreignKeysOff || down.foreignKeysOff,
  };
}

/** The text recorded for a pair: both files' texts, unambiguously, so `redo` can run the Down as it was applied. */
function pairSource(up: string, down: string): string {
  return JSON.stringify({ kind: PAIR_KIND, up, down });
}

/**
 * A migration as it was applied, from the text its history row kept (a
 * pair's is the two texts). `file` is the migration as it is now: its
 * version, name and paths label the result.
 */
export function parseAppliedSource(text: string, file: Migration, env?: Env, dialect: SqlDialect = 'sqlite'): Migration {
  if (text.startsWith(`{"kind":"${PAIR_KIND}"`)) {
    const { up, down } = JSON.parse(text) as { up: string; down: string };
    return parsePairedMigration({ version: file.version, name: file.name, path: file.path, downPath: file.downPath ?? file.path }, up, down, env, dialect);
  }
  return parseMigration({ version: file.version, name: file.name, path: file.path, text }, env, dialect);
}

function stripBom(text: string): string {
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}
