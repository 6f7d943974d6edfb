import fs from 'node:fs';
import path from 'node:path';
import { CairnError } from '../errors.js';
import { listMigrationFiles } from './source.js';

const TEMPLATE = `-- +goose Up
-- Each statement ends with ';'. Wrap triggers in StatementBegin/StatementEnd
-- annotations; add a NO TRANSACTION annotation for statements that cannot run
-- inside a transaction (VACUUM).

-- +goose Down
`;

/** A goose-style timestamp version (YYYYMMDDHHMMSS) has at least 14 digits. */
const TIMESTAMP_MIN = 10_000_000_000_000;

/**
 * Creates the next migration file in a store's folder: the next number, in
 * the folder's style (zero-padded sequence, or UTC timestamps when the
 * folder uses goose timestamps), with an annotated template.
 */
export function createMigrationFile(dir: string, name: string, now: Date = new Date()): { version: number; file: string } {
  const slug = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!slug) throw new CairnError('E_USAGE', `migration name ${JSON.stringify(name)} has no letters or digits`, { name });
  // The first file of a store creates its declared folder; every other command refuses a folder that is not there.
  const existing = fs.existsSync(dir) ? listMigrationFiles(dir) : [];
  const newest = existing.at(-1);
  let version: number;
  let prefix: string;
  if (newest && newest.version >= TIMESTAMP_MIN) {
    prefix = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
    version = Math.max(Number(prefix), newest.version + 1);
    prefix = String(version);
  } else {
    version = (newest?.version ?? 0) + 1;
    const width = Math.max(4, newest ? (/^\d+/.exec(newest.name)?.[0].length ?? 4) : 4);
    prefix = String(version).padStart(width, '0');
  }
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${prefix}_${slug}.sql`);
  fs.writeFileSync(file, TEMPLATE, { flag: 'wx' });
  return { version, file };
}
