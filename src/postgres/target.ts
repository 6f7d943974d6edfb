import { CairnError } from '../errors.js';

/**
 * A store kept in a PostgreSQL schema: the server's connection URL (as the
 * config writes it; `${NAME}` references are expanded at connect time, see
 * expandUrl; it may hold a password, so it is never printed, see redactUrl)
 * and the schema the store owns, where its tables and cairn's history live.
 */
export interface PostgresTarget {
  name: string;
  url: string;
  schema: string;
  /** The folder of migration files, or null for a store cairn does not migrate. */
  migrations: string | null;
  baseline: { file: string; version: number } | null;
  allowOutOfOrder: boolean;
  lockTimeoutMs: number;
  /** `goose`: also keep goose_db_version in the schema in step (goose-mirror.ts). */
  history?: 'cairn' | 'goose';
}

/**
 * The URL with each `${NAME}` replaced from the environment. An unset or
 * empty variable is a config error naming it (a URL silently missing its
 * host or password would connect somewhere else, or fail obscurely).
 */
export function expandUrl(store: Pick<PostgresTarget, 'name' | 'url'>, env: NodeJS.ProcessEnv = process.env): string {
  return store.url.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const value = env[name];
    if (value === undefined || value === '') {
      throw new CairnError(
        'E_CONFIG',
        `stores.${store.name}.url: the environment variable ${name} is not set; set it to the server's connection URL (or the part the URL takes from it)`,
        {
          store: store.name,
          variable: name,
        },
      );
    }
    return value;
  });
}

/** The URL with its password replaced, safe for messages, reports and --json. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) if (/pass/i.test(key)) parsed.searchParams.set(key, '***');
    return parsed.toString();
  } catch {
    // Not a URL (a libpq key=value string, say): keep nothing that could be a secret.
    return url.replace(/(password\s*=\s*)(\S+)/gi, '$1***');
  }
}

/** How messages name the store's place: the redacted URL and the schema, as `file` names a SQLite store's. */
export function describeTarget(target: Pick<PostgresTarget, 'url' | 'schema'>): string {
  return `${redactUrl(target.url)} schema ${target.schema}`;
}

/** A PostgreSQL identifier, double-quoted (embedded quotes doubled). */
export function quotePgIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
