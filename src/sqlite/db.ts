/**
 * The driver seam. Everything in cairn talks to a `Db`; only
 * driver-better-sqlite3.ts knows which binding sits behind it, so another
 * engine can be added without touching migrations, importers or snapshots.
 */
export type SqlValue = string | number | bigint | Uint8Array | null;
/** Values for named parameters (`@name`, `:name`, `$name` in the SQL), keyed without the prefix. */
export type NamedParams = Readonly<Record<string, SqlValue>>;
/**
 * A statement's parameters, as better-sqlite3 takes them: positional values
 * for `?`, and at most one object for the named ones (anywhere in the list).
 */
export type SqlParam = SqlValue | NamedParams;
export type Row = Record<string, unknown>;

export interface Statement {
  run(...params: SqlParam[]): { changes: number; lastInsertRowid: number | bigint };
  /** run() with the parameters in one array: the bulk paths reuse one array per statement instead of spreading. */
  runArray(params: readonly SqlValue[]): { changes: number; lastInsertRowid: number | bigint };
  get<T = Row>(...params: SqlParam[]): T | undefined;
  all<T = Row>(...params: SqlParam[]): T[];
  iterate<T = Row>(...params: SqlParam[]): IterableIterator<T>;
  /** Each row's first column alone: the snapshot paths read one prebuilt JSON line per row without a row object. */
  iterateFirst<T = unknown>(...params: SqlParam[]): IterableIterator<T>;
  /** The statement returns rows (a SELECT, a reading PRAGMA, … RETURNING). */
  readonly reader: boolean;
  /** The statement writes nothing to the database (SQLite's sqlite3_stmt_readonly). */
  readonly readonly: boolean;
  /** A reader's result columns, in order (two may share a name: `SELECT a.id, b.id`). */
  columnNames(): string[];
  /** Every row as its values in column order, so columns that share a name stay apart. */
  allValues(...params: SqlParam[]): unknown[][];
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
  /**
   * Runs fn now, inside BEGIN IMMEDIATE … COMMIT (ROLLBACK when it throws),
   * and returns what fn returned. Inside another transaction it nests as a
   * savepoint. Not better-sqlite3's `db.transaction(fn)`, which returns a
   * function to call later: the different name keeps code written for that
   * shape (`db.transaction(fn)()`) from running a transaction and then
   * failing (here there is no `transaction` member, so it fails first).
   */
  withTransaction<T>(fn: () => T): T;
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
