import { parseDuration } from '../time/duration.js';
import fs from 'node:fs';
import path from 'node:path';
import { expandTilde } from './paths.js';
import { canonicalPath } from '../sqlite/files.js';
import { CairnError } from '../errors.js';
import type { Pragmas } from '../sqlite/pragmas.js';
import type { PostgresTarget } from '../postgres/target.js';
import { configSchemas, describeIssues, type CairnConfig, type ParsedConfig } from './schema.js';
import { quickParseConfig } from './quick-config.js';

/** A store with every path made absolute and every default filled in. */
export interface ResolvedStore {
  name: string;
  file: string;
  migrations: string | null;
  pragmas: Pragmas;
  baseline: { file: string; version: number } | null;
  allowOutOfOrder: boolean;
  /** How many pre-migration backups to keep; 0 = never take one. */
  backupKeep: number;
  lockTimeoutMs: number;
  /** `goose`: goose_db_version is kept in step beside cairn's own history. */
  history: 'cairn' | 'goose';
  /**
   * A NO TRANSACTION file that fails halfway: `restore` (the default) puts
   * back the copy taken before it; `keep` leaves what ran, for
   * `migrate --recover resume` to go on from the failed statement.
   */
  noTransactionFailure?: 'restore' | 'keep';
  /** Log-like tables' retention, by table (prune.ts); empty when none is declared. */
  retention?: Record<string, RetentionPolicy>;
}

/** Whether a store declares any retention (what `cairn prune`, doctor and openStores()'s background prune act on). */
export function declaresRetention(store: { retention?: Record<string, unknown> }): boolean {
  return Object.keys(store.retention ?? {}).length > 0;
}

/** How long a table keeps its rows: older than `maxAge` (ms) by `timeColumn`, or beyond the newest `maxRows`, they are pruned. */
export interface RetentionPolicy {
  timeColumn: string;
  maxAgeMs: number | null;
  maxRows: number | null;
}

/**
 * A store in a PostgreSQL schema. `url` is as the config writes it: its
 * `${NAME}` references are expanded when a connection is opened, so a
 * password can live in the environment and an unset variable only matters to
 * the commands that use this store.
 */
export interface PostgresStore extends PostgresTarget {
  engine: 'postgres';
}

export interface StoreRegistry {
  /** Where the databases live (config `home`, overridden by CAIRN_HOME). */
  home: string;
  /** Where migrations and baselines are found: the config file's folder. */
  root: string;
  /** The config file the registry came from, when it came from one. */
  configFile: string | null;
  /** The SQLite stores. */
  stores: ResolvedStore[];
  /** The stores kept on a PostgreSQL server (`engine: "postgres"`). */
  postgres: PostgresStore[];
  imports: Record<string, string>;
  backfills: Record<string, string>;
}

export interface ResolveOptions {
  /** Folder that relative `migrations`/`baseline` paths (and a relative `home`) resolve against. */
  root?: string;
  env?: NodeJS.ProcessEnv;
  configFile?: string | null;
}

export const DEFAULT_BACKUP_KEEP = 3;
export const DEFAULT_LOCK_TIMEOUT_MS = 120_000;

/**
 * Validates a config and resolves it into a registry. Typed helper for app
 * code: `export default defineStores({ stores: { state: { file: 'state.sqlite', migrations: 'migrations/state' } } })`.
 */
export function defineStores(config: CairnConfig, options: ResolveOptions = {}): StoreRegistry {
  const source = options.configFile ?? 'config';
  const cfg = quickParseConfig(config) ?? parseWithSchema(config, source, options.configFile ?? null);
  const env = options.env ?? process.env;
  const root = path.resolve(options.root ?? process.cwd());
  const homeSetting = env.CAIRN_HOME && env.CAIRN_HOME.length > 0 ? env.CAIRN_HOME : (cfg.home ?? '.');
  const home = path.resolve(env.CAIRN_HOME ? process.cwd() : root, expandTilde(homeSetting));
  // Checks that look at the disk wait for a real root: a config module's defineStores() runs against whatever the cwd is, and is resolved again.
  const checkDisk = options.root !== undefined;
  if (checkDisk && fs.statSync(home, { throwIfNoEntry: false })?.isDirectory() === false) {
    throw new CairnError(
      'E_CONFIG',
      `${source}: home: ${home} is a file, not a folder; point ${env.CAIRN_HOME ? 'CAIRN_HOME' : 'home'} at the folder the databases live in`,
      {
        home,
      },
    );
  }

  const stores: ResolvedStore[] = [];
  const postgres: PostgresStore[] = [];
  for (const [name, s] of Object.entries(cfg.stores)) {
    const migrations = s.migrations === false ? null : path.resolve(root, expandTilde(s.migrations));
    const baseline = s.baseline ? { file: path.resolve(root, expandTilde(s.baseline.file)), version: s.baseline.version } : null;
    if (s.engine === 'postgres') {
      postgres.push({
        engine: 'postgres',
        name,
        url: s.url,
        schema: s.schema ?? name,
        migrations,
        baseline,
        allowOutOfOrder: s.allowOutOfOrder ?? false,
        lockTimeoutMs: s.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
        history: s.history ?? 'cairn',
      });
      continue;
    }
    const backups = s.backups;
    stores.push({
      name,
      file: path.resolve(home, expandTilde(s.file)),
      migrations,
      pragmas: { ...(s.extraPragmas ?? {}), ...(s.pragmas ?? {}) } as Pragmas,
      baseline,
      allowOutOfOrder: s.allowOutOfOrder ?? false,
      backupKeep: backups === false ? 0 : (backups?.keep ?? DEFAULT_BACKUP_KEEP),
      lockTimeoutMs: s.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
      history: s.history ?? 'cairn',
      noTransactionFailure: s.noTransactionFailure ?? 'restore',
      retention: Object.fromEntries(
        Object.entries(s.retention ?? {}).map(([table, r]) => [
          table,
          { timeColumn: r.timeColumn, maxAgeMs: r.maxAge === undefined ? null : parseDuration(r.maxAge), maxRows: r.maxRows ?? null },
        ]),
      ),
    });
  }
  if (checkDisk) assertDistinctFiles(stores, source);
  if (checkDisk) assertDistinctSchemas(postgres, source);
  const registry: StoreRegistry = {
    home,
    root,
    configFile: options.configFile ?? null,
    stores,
    postgres,
    imports: cfg.imports ?? {},
    backfills: cfg.backfills ?? {},
  };
  // Kept out of sight so a registry built in a config module can be resolved again against that file's folder (see loadConfig).
  Object.defineProperty(registry, DECLARED, { value: { config, rootGiven: options.root !== undefined }, enumerable: false });
  return registry;
}

/** The full schema: slower to load, and the one whose messages name every problem. */
function parseWithSchema(config: unknown, source: string, file: string | null): ParsedConfig {
  const parsed = configSchemas().configSchema.safeParse(config);
  if (!parsed.success) {
    throw new CairnError('E_CONFIG', `${source}: invalid config:\n${describeIssues(parsed.error)}`, { file, issues: parsed.error.issues });
  }
  return parsed.data;
}

const DECLARED = Symbol('cairn.declaredConfig');

/**
 * The config a registry was made from, when defineStores() made it without
 * an explicit root: its relative paths then resolved against the working
 * directory of whoever imported it, and a config file's loader must resolve
 * them again against the file's own folder.
 */
export function unresolvedConfigOf(registry: StoreRegistry): CairnConfig | null {
  const declared = (registry as unknown as Record<symbol, { config: CairnConfig; rootGiven: boolean } | undefined>)[DECLARED];
  return declared && !declared.rootGiven ? declared.config : null;
}

/** Two stores on one file would migrate one database with two histories' worth of files: a config error naming both. */
function assertDistinctFiles(stores: readonly ResolvedStore[], source: string): void {
  const seen = new Map<string, string>();
  for (const store of stores) {
    const key = canonicalPath(store.file);
    const other = seen.get(key);
    if (other !== undefined) {
      throw new CairnError(
        'E_CONFIG',
        `${source}: stores.${other} and stores.${store.name} are the same database file (${key}); give each store a file of its own`,
        {
          stores: [other, store.name],
          file: key,
        },
      );
    }
    seen.set(key, store.name);
  }
}

/** Two PostgreSQL stores owning one schema of one server would share one history: a config error naming both. */
function assertDistinctSchemas(stores: readonly PostgresStore[], source: string): void {
  const seen = new Map<string, string>();
  for (const store of stores) {
    const key = `${store.url}\0${store.schema}`;
    const other = seen.get(key);
    if (other !== undefined) {
      throw new CairnError(
        'E_CONFIG',
        `${source}: stores.${other} and stores.${store.name} are the same schema (${store.schema}) on the same server; give each store a schema of its own`,
        {
          stores: [other, store.name],
        },
      );
    }
    seen.set(key, store.name);
  }
}

export function isStoreRegistry(value: unknown): value is StoreRegistry {
  return typeof value === 'object' && value !== null && Array.isArray((value as StoreRegistry).stores) && typeof (value as StoreRegistry).home === 'string';
}

/** What works on a PostgreSQL store in this version; every other command names the store and says so. */
export const POSTGRES_COMMANDS = [
  'migrate',
  'status',
  'new',
  'lint',
  'doctor',
  'adopt',
  'baseline',
  'tail',
  'export',
  'restore',
  'verify',
  'import',
  'backfill',
] as const;

/** Every store's name, SQLite and PostgreSQL, in config order. */
function allNames(registry: StoreRegistry): string[] {
  return [...registry.stores.map((s) => s.name), ...(registry.postgres ?? []).map((s) => s.name)];
}

function unknownStore(registry: StoreRegistry, name: string): CairnError {
  return new CairnError('E_USAGE', `unknown store ${JSON.stringify(name)}; this config declares: ${allNames(registry).join(', ')}`, { store: name });
}

/**
 * The named SQLite stores, or all of them, for the commands that work on
 * SQLite stores only: naming a PostgreSQL store is a usage error saying so,
 * and an unknown name lists the known ones.
 */
export function selectStores(registry: StoreRegistry, names?: readonly string[]): ResolvedStore[] {
  if (!names || names.length === 0) return registry.stores;
  return names.map((name) => {
    const store = registry.stores.find((s) => s.name === name);
    if (store) return store;
    if ((registry.postgres ?? []).some((s) => s.name === name)) {
      throw new CairnError(
        'E_USAGE',
        `stores.${name} is a PostgreSQL store; this works on SQLite stores only in this version (on PostgreSQL: ${POSTGRES_COMMANDS.map((c) => `cairn ${c}`).join(', ')})`,
        { store: name, engine: 'postgres' },
      );
    }
    throw unknownStore(registry, name);
  });
}

/** The named stores of either engine, or all of them, for the commands that work on both. */
export function selectAnyStores(registry: StoreRegistry, names?: readonly string[]): Array<ResolvedStore | PostgresStore> {
  const all: Array<ResolvedStore | PostgresStore> = [...registry.stores, ...(registry.postgres ?? [])];
  if (!names || names.length === 0) return all;
  return names.map((name) => {
    const store = all.find((s) => s.name === name);
    if (!store) throw unknownStore(registry, name);
    return store;
  });
}

/** A plan's or job's target by name, of either engine; an unknown name is the plan's error. */
export function findTargetStore(registry: StoreRegistry, name: string, what: string): ResolvedStore | PostgresStore {
  const store = selectAnyStores(registry).find((s) => s.name === name);
  if (!store) throw new CairnError('E_PLAN', `${what}: unknown target store ${name}`);
  return store;
}

export function isPostgresStore(store: ResolvedStore | PostgresStore): store is PostgresStore {
  return (store as PostgresStore).engine === 'postgres';
}

export { expandTilde };
