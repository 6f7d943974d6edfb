/**
 * The history tables other migration tools keep in the DB they migrate.
 * They are never the app's schema: a DB holding only one of them is still
 * fresh, a baseline leaves them out, and `cairn adopt` reads them.
 */
export const GOOSE_TABLE = 'goose_db_version';
export const SQLX_TABLE = '_sqlx_migrations';
export const FLYWAY_TABLE = 'flyway_schema_history';
/** A single version number some apps keep; also Flyway's table name before Flyway 5. */
export const PLAIN_VERSION_TABLE = 'schema_version';

export const FOREIGN_HISTORY_TABLES: ReadonlySet<string> = new Set([GOOSE_TABLE, SQLX_TABLE, FLYWAY_TABLE]);
