/**
 * The driver seam. Everything in cairn talks to a `Db`; only
 * driver-better-sqlite3.ts knows which binding sits behind it, so another
 * engine can be added without touching migrations, importers or snapshots.
 */
export type SqlValue = string | number | bigint | Uint8Array | null;
export type Row = Record<string, unknown>;

export interface Statement {
  run(...params: SqlValue[]): { changes: number; lastInsertRowid: number | bigint };
  /** run() with the parameters in one array: the bulk paths reuse one array per statement instead of spreading. */
  runArray(params: readonly SqlValue[]): { changes: number; lastInsertRowid: number | bigint };
  get<T = Row>(...params: SqlValue[]): T | undefined;
  all<T = Row>(...params: SqlValue[]): T[];
  iterate<T = Row>(...params: SqlValue[]): IterableIterator<T>;
  /** Each row's first column alone: the snapshot paths read one prebuilt JSON line per row without a row object. */
  iterateFirst<T = unknown>(...params: SqlValue[]): IterableIterator<T>;
}

/** A scalar SQL function implemented in JS (better-sqlite3's `db.function`). */
export type SqlFunction = (...args: SqlValue[]) => SqlValue;

export interface Db {
  /** Absolute path of the main database file (or ':memory:'). */
  readonly file: string;
  readonly inTransaction: boolean;
  prepare(sql: string): Statement;
  /** Runs one or more statements with no result. */
  exec(sql: string): void;
  /** Wraps fn in BEGIN IMMEDIATE … COMMIT (ROLLBACK on throw). */
  transaction<T>(fn: () => T): T;
  /** Registers a deterministic scalar function for this connection only. */
  defineFunction(name: string, fn: SqlFunction): void;
  /** Reads a pragma's single value (`PRAGMA name`). */
  pragmaValue(name: string): unknown;
  /** Copies the whole database into `destination` with SQLite's online backup API. */
  backup(destination: string): Promise<void>;
  close(): void;
}

export interface OpenOptions {
  readonly?: boolean;
  /** Fail instead of creating the file when it is absent. */
  fileMustExist?: boolean;
}

export type DbFactory = (file: string, options?: OpenOptions) => Db;
