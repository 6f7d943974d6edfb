import fs from 'node:fs';
import { CairnError, type CairnErrorCode } from '../errors.js';
import type { Env } from './envsub.js';
import { decodeUtf8 } from './checksum.js';
import { describeModuleMigration } from './module-migration.js';
import { parsePairedMigration } from './pair.js';
import { parseMigration, type SqlDialect } from './parse.js';
import type { Migration } from './types.js';
import { listMigrationFiles, type MigrationFileRef } from './list-files.js';

export { isMigrationFileName } from './file-name.js';
export { listMigrationFiles, type MigrationFileRef } from './list-files.js';

/**
 * A migration's (or baseline's) text: anything but a regular file (a folder,
 * a FIFO that would block the read forever, a dangling link) and any text that
 * is not valid UTF-8 is refused with `code`, naming the file.
 */
export function readMigrationText(file: string, options: { code?: CairnErrorCode; what?: string } = {}): string {
  const code = options.code ?? 'E_MIGRATION_SOURCE';
  return decodeUtf8(readRegularFile(file, code, options.what ?? 'named like a migration'), file, (message) => new CairnError(code, message, { file }));
}

function readRegularFile(file: string, errorCode: CairnErrorCode, what: string): Buffer {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      const link = fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink() === true;
      throw new CairnError(errorCode, `${file}: ${link ? 'a dangling link; fix or remove it' : 'does not exist'}`, { file });
    }
    throw error;
  }
  if (!stat.isFile()) {
    throw new CairnError(
      errorCode,
      `${file}: ${what} but not a regular file (${stat.isDirectory() ? 'a folder' : 'a FIFO, socket or device'}); rename or move it`,
      {
        file,
      },
    );
  }
  try {
    return fs.readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM')
      throw new CairnError('E_PERMISSION', `${file} cannot be read by this user (${code}); fix its permissions`, { file }, { cause: error });
    throw error;
  }
}

export function readMigration(ref: MigrationFileRef, env?: Env, dialect: SqlDialect = 'sqlite'): Migration {
  const text = readMigrationText(ref.path);
  if (ref.downPath) return parsePairedMigration({ ...ref, downPath: ref.downPath }, text, readMigrationText(ref.downPath), env, dialect);
  if (/\.sql$/i.test(ref.name)) return parseMigration({ ...ref, text }, env, dialect);
  if (dialect !== 'sqlite') {
    throw new CairnError('E_MIGRATION_SOURCE', `${ref.path}: TS/JS migrations run on SQLite stores only in this version; write this step in SQL`, {
      file: ref.path,
    });
  }
  return describeModuleMigration({ ...ref, text });
}

export function loadMigrations(dir: string, options: { exclude?: readonly string[]; env?: Env; key?: string; dialect?: SqlDialect } = {}): Migration[] {
  return listMigrationFiles(dir, options).map((ref) => readMigration(ref, options.env, options.dialect));
}
