/**
 * A store kept in a PostgreSQL schema: the server's connection URL (with
 * environment references already expanded: it may hold a password, so it is
 * never printed; see redactUrl) and the schema the store owns, where its
 * tables and cairn's history live.
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
