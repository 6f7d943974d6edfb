import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Db, OpenOptions, SqlFunction, SqlParam, SqlValue, Statement } from './db.js';

/**
 * The compiled addon's path, where better-sqlite3's install puts it (a
 * prebuilt download and a source build alike), or undefined to let it search.
 * Its own search (the `bindings` package) tries a dozen paths on the first
 * open of every process: 3-5 ms of each app start and each CLI command.
 */
let addon: string | undefined | null = null;
function addonPath(): string | undefined {
  if (addon === null) {
    const candidate = path.join(path.dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
    addon = fs.existsSync(candidate) ? candidate : undefined;
  }
  return addon;
}

/** The only file that imports better-sqlite3 (see db.ts). */
export function openBetterSqlite3(file: string, options: OpenOptions = {}): Db {
  const nativeBinding = addonPath();
  const raw = new Database(file, {
    readonly: options.readonly ?? false,
    fileMustExist: options.fileMustExist ?? false,
    ...(nativeBinding ? { nativeBinding } : {}),
  });
  // Integers beyond 2^53 must never be rounded silently; callers that need
  // plain numbers read small values (versions, counts) that fit.
  raw.defaultSafeIntegers(false);
  return new BetterSqlite3Db(raw, file);
}

class BetterSqlite3Db implements Db {
  constructor(
    private readonly raw: Database.Database,
    readonly file: string,
  ) {}

  get inTransaction(): boolean {
    return this.raw.inTransaction;
  }

  prepare(sql: string): Statement {
    const stmt = this.raw.prepare(sql);
    // Second handles for plucked and array reads: pluck() and raw() switch a statement's mode, and the row methods must not see it.
    let plucked: Database.Statement | null = null;
    let arrays: Database.Statement | null = null;
    return {
      reader: stmt.reader,
      readonly: stmt.readonly,
      columnNames: () => stmt.columns().map((c) => c.name),
      allValues: (...params: SqlParam[]) => {
        arrays ??= this.raw.prepare(sql).raw(true);
        return arrays.all(...params) as unknown[][];
      },
      run: (...params: SqlParam[]) => stmt.run(...params),
      runArray: (params: readonly SqlValue[]) => stmt.run(params as SqlValue[]),
      get: <T>(...params: SqlParam[]) => stmt.get(...params) as T | undefined,
      all: <T>(...params: SqlParam[]) => stmt.all(...params) as T[],
      iterate: <T>(...params: SqlParam[]) => stmt.iterate(...params) as IterableIterator<T>,
      iterateFirst: <T>(...params: SqlParam[]) => {
        plucked ??= this.raw.prepare(sql).pluck();
        return plucked.iterate(...params) as IterableIterator<T>;
      },
    };
  }

  exec(sql: string): void {
    this.raw.exec(sql);
  }

  withTransaction<T>(fn: () => T): T {
    return this.raw.transaction(fn).immediate();
  }

  defineFunction(name: string, fn: SqlFunction): void {
    this.raw.function(name, { deterministic: true }, fn as (...args: unknown[]) => unknown);
  }

  pragmaValue(name: string): unknown {
    return this.raw.pragma(name, { simple: true });
  }

  async backup(destination: string): Promise<void> {
    await this.raw.backup(destination);
  }

  close(): void {
    if (this.raw.open) this.raw.close();
  }
}
