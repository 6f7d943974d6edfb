import path from 'node:path';
import { CairnError, errorMessage } from '../errors.js';
import { checksum } from './checksum.js';
import { parseMigration, type SqlDialect } from './parse.js';
import { readMigrationText } from './source.js';
import type { Baseline } from './plan.js';

/** Reads a store's baseline snapshot: one DDL file applied whole to a fresh DB. */
export function loadBaseline(spec: { file: string; version: number }, dialect: SqlDialect = 'sqlite'): Baseline {
  let text: string;
  try {
    text = readMigrationText(spec.file, { code: 'E_CONFIG', what: 'named as the baseline' });
  } catch (error) {
    if (error instanceof CairnError && error.code !== 'E_CONFIG') throw error;
    throw new CairnError('E_CONFIG', `baseline: ${errorMessage(error)}; fix baseline.file in the config`, { file: spec.file }, { cause: error });
  }
  const parsed = parseMigration({ version: spec.version, name: path.basename(spec.file), path: spec.file, text }, process.env, dialect);
  return { version: spec.version, name: path.basename(spec.file), checksum: checksum(text), statements: parsed.up };
}
