import fs from 'node:fs';
import path from 'node:path';
import { CairnError } from '../errors.js';
import { listMigrationFiles } from './source.js';
import { MODULE_TEMPLATE, SQL_TEMPLATE } from './templates.js';

/** A goose-style timestamp version (YYYYMMDDHHMMSS) has at least 14 digits. */
const TIMESTAMP_MIN = 10_000_000_000_000;

export interface NewMigrationOptions {
  /** Write a TypeScript migration (`up(db, ctx)`) instead of a goose-annotated SQL file. */
  ts?: boolean;
  now?: Date;
}

/**
 * Creates the next migration file in a store's folder: the next number, in
 * the folder's style (zero-padded sequence, or UTC timestamps when the
 * folder uses goose timestamps), with a template that migrate refuses to
 * apply until it is filled in (templates.ts).
 */
export function createMigrationFile(dir: string, name: string, opts: NewMigrationOptions | Date = {}): { version: number; file: string } {
  // A Date third argument is the signature of releases before options existed.
  const options: NewMigrationOptions = opts instanceof Date ? { now: opts } : opts;
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
    prefix = (options.now ?? new Date()).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    version = Math.max(Number(prefix), newest.version + 1);
    prefix = String(version);
  } else {
    version = (newest?.version ?? 0) + 1;
    const width = Math.max(4, newest ? (/^\d+/.exec(newest.name)?.[0].length ?? 4) : 4);
    prefix = String(version).padStart(width, '0');
  }
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${prefix}_${slug}.${options.ts ? 'ts' : 'sql'}`);
  fs.writeFileSync(file, options.ts ? MODULE_TEMPLATE : SQL_TEMPLATE, { flag: 'wx' });
  return { version, file };
}
