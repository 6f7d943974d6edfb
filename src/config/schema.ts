import { DURATION_FORMS, parseDuration } from '../time/duration.js';
import { createRequire } from 'node:module';
import type { z as Zod } from 'zod';

/**
 * The shape of cairn.config.(json|mjs|ts). Unknown keys are errors: a typo must not be ignored.
 *
 * zod costs ~100 ms to load, paid by every app start, so it is loaded only
 * when a config fails the exact fast check in quick-config.ts (which accepts
 * only what this schema accepts, and returns what it returns; a test holds
 * the two together). zod is loaded with require() (it ships CommonJS) so
 * defineStores() stays synchronous.
 */
function buildSchemas(z: typeof Zod) {
  const pragmaValue = z.union([z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a pragma value is a word or a number'), z.number(), z.boolean()]);
  const int = (min: number) => z.number().int().min(min);
  /** One of SQLite's words for a pragma, in any case (`WAL` and `wal` alike). */
  const oneOf = (...values: string[]) => z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(values as [string, ...string[]]));

  /**
   * The connection pragmas a store may set, each with the values SQLite
   * accepts: a misspelt name or a bogus value is a config error naming the key,
   * never a silently ignored setting. Pragmas that can corrupt a database
   * (writable_schema, ignore_check_constraints) are not here, nor in `extraPragmas`.
   */
  const pragmasSchema = z
    .object({
      journal_mode: oneOf('wal', 'delete', 'truncate', 'persist', 'memory', 'off'),
      busy_timeout: int(0),
      synchronous: oneOf('off', 'normal', 'full', 'extra'),
      foreign_keys: z.boolean(),
      cache_size: z.number().int(),
      temp_store: oneOf('default', 'file', 'memory'),
      mmap_size: int(0),
      page_size: z
        .number()
        .int()
        .refine((n) => n >= 512 && n <= 65536 && (n & (n - 1)) === 0, 'a power of two from 512 to 65536'),
      auto_vacuum: oneOf('none', 'full', 'incremental'),
      wal_autocheckpoint: int(0),
      journal_size_limit: z.number().int().min(-1),
      locking_mode: oneOf('normal', 'exclusive'),
      recursive_triggers: z.boolean(),
      secure_delete: z.union([z.boolean(), z.literal('fast')]),
      cell_size_check: z.boolean(),
      trusted_schema: z.boolean(),
      automatic_index: z.boolean(),
      defer_foreign_keys: z.boolean(),
      threads: int(0),
    })
    .partial()
    .strict();

  /** Pragmas cairn does not know, set as given: the explicit way past the check above (a newer SQLite's pragma, say). */
  const extraPragmasSchema = z.record(
    z
      .string()
      .regex(/^[a-z_]+$/, 'pragma names are lower_case')
      .refine((name) => !DANGEROUS_PRAGMAS.has(name), 'this pragma can corrupt the database; cairn never sets it'),
    pragmaValue,
  );

  const migrationsKey = z.union([z.string().min(1), z.literal(false)], {
    error: (issue) => (issue.input === undefined ? 'required: the folder of its migration files, or false for a store with none' : undefined),
  });
  const baselineKey = z
    .object({ file: z.string().min(1), version: z.number().int().nonnegative() })
    .strict()
    .optional();

  /** A log-like table's retention: its time column, and how old (30s, 12h, 14d, PT12H) or how many rows it may keep. */
  const retentionSchema = z
    .object({
      timeColumn: z.string().min(1),
      maxAge: z
        .string()
        .refine((text) => (parseDuration(text) ?? 0) > 0, `a duration: ${DURATION_FORMS}`)
        .optional(),
      maxRows: z.number().int().positive().optional(),
    })
    .strict()
    .refine((r) => r.maxAge !== undefined || r.maxRows !== undefined, 'give maxAge, maxRows, or both');

  const storeSchema = z
    .object({
      engine: z.literal('sqlite').optional(),
      file: z.string().min(1),
      /** The folder of the store's migration files, or false for a store cairn does not migrate (never left out: a typo must not mean "none"). */
      migrations: migrationsKey,
      pragmas: pragmasSchema.optional(),
      extraPragmas: extraPragmasSchema.optional(),
      baseline: baselineKey,
      allowOutOfOrder: z.boolean().optional(),
      backups: z.union([z.literal(false), z.object({ keep: z.number().int().min(1).max(100) }).strict()]).optional(),
      lockTimeoutMs: z.number().int().nonnegative().optional(),
      /** `goose`: also keep goose_db_version in step, so goose (or an app reading it) sees the DB as up to date. */
      history: z.enum(['cairn', 'goose']).optional(),
      /** A NO TRANSACTION file that fails halfway: put the copy from before it back (`restore`), or keep what ran for --recover resume. */
      noTransactionFailure: z.enum(['restore', 'keep']).optional(),
      /** Per table: how long rows are kept (`cairn prune`, pruneStore). */
      retention: z.record(z.string().min(1), retentionSchema).optional(),
    })
    .strict();

  /** A store in a PostgreSQL schema: `url` may reference the environment (`${NAME}`), so passwords stay out of the file. */
  const postgresStoreSchema = z
    .object({
      engine: z.literal('postgres'),
      url: z.string().min(1),
      schema: z
        .string()
        .regex(PG_SCHEMA_NAME, 'a schema name: a letter or _, then letters, digits, _ or -, at most 63 in all')
        .refine((name) => !/^pg_/i.test(name) && name.toLowerCase() !== 'information_schema', 'pg_* and information_schema belong to PostgreSQL')
        .optional(),
      migrations: migrationsKey,
      baseline: baselineKey,
      allowOutOfOrder: z.boolean().optional(),
      lockTimeoutMs: z.number().int().nonnegative().optional(),
      history: z.enum(['cairn', 'goose']).optional(),
    })
    .strict();

  const configSchema = z
    .object({
      home: z.string().min(1).optional(),
      stores: z
        .record(
          z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'store names start with a letter: letters, digits, _ and -'),
          z.discriminatedUnion('engine', [storeSchema, postgresStoreSchema]),
        )
        .refine((stores) => Object.keys(stores).length > 0, 'declare at least one store'),
      imports: z.record(z.string(), z.string()).optional(),
      backfills: z.record(z.string(), z.string()).optional(),
    })
    .strict();

  return { configSchema, storeSchema, postgresStoreSchema, pragmasSchema };
}

type Schemas = ReturnType<typeof buildSchemas>;
/** A PostgreSQL schema name cairn accepts for a store (it is always quoted in SQL). */
export const PG_SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;

/** Pragmas that can corrupt a database: never set, under any key. */
export const DANGEROUS_PRAGMAS: ReadonlySet<string> = new Set(['writable_schema', 'ignore_check_constraints', 'schema_version']);

export type StoreConfig = Zod.input<Schemas['storeSchema']>;
export type PostgresStoreConfig = Zod.input<Schemas['postgresStoreSchema']>;
export type CairnConfig = Zod.input<Schemas['configSchema']>;

let schemas: Schemas | null = null;
/** The zod schemas, built on first use. */
export function configSchemas(): Schemas {
  schemas ??= buildSchemas((createRequire(import.meta.url)('zod') as { z: typeof Zod }).z);
  return schemas;
}

/** Zod issues rendered as `key.path: what is wrong`, one per line. */
export function describeIssues(error: Zod.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
      const inner = 'issues' in issue && Array.isArray(issue.issues) ? (issue.issues as { message: string }[]).map((i) => i.message).join('; ') : '';
      const hint =
        issue.code === 'unrecognized_keys' && issue.path.at(-1) === 'pragmas'
          ? ` (cairn knows ${Object.keys(configSchemas().pragmasSchema.shape).join(', ')}; a pragma it does not know goes under extraPragmas)`
          : '';
      return `${where}: ${issue.message}${inner && issue.code === 'invalid_key' ? `: ${inner}` : ''}${hint}`;
    })
    .join('\n');
}

/** A config as the schema returns it: the input with pragma words lower-cased. */
export type ParsedConfig = Zod.output<Schemas['configSchema']>;
