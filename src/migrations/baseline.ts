import fs from 'node:fs';
import path from 'node:path';
import { CairnError } from '../errors.js';
import { checksum } from './checksum.js';
import { parseMigration } from './parse.js';
import type { Baseline } from './plan.js';

/** Reads a store's baseline snapshot: one DDL file applied whole to a fresh DB. */
export function loadBaseline(spec: { file: string; version: number }): Baseline {
  let text: string;
  try {
    text = fs.readFileSync(spec.file, 'utf8');
  } catch (error) {
    throw new CairnError(
      'E_CONFIG',
      `baseline ${spec.file} cannot be read (${(error as NodeJS.ErrnoException).code}); fix baseline.file in the config`,
      { file: spec.file },
      { cause: error },
    );
  }
  const parsed = parseMigration({ version: spec.version, name: path.basename(spec.file), path: spec.file, text });
  return { version: spec.version, name: path.basename(spec.file), checksum: checksum(text), statements: parsed.up };
}
