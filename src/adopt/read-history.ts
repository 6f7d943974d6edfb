import { createHash } from 'node:crypto';
import { CairnError } from '../errors.js';
import { FLYWAY_TABLE, GOOSE_TABLE, PLAIN_VERSION_TABLE, SQLX_TABLE } from '../migrations/foreign-tables.js';
import { gooseAppliedFrom, type GooseRow } from '../migrations/goose-table.js';
import { flywayChecksum } from './flyway-checksum.js';
import type { ForeignTables } from './tables.js';

export { detectForeignHistory } from './detect.js';
export { sqliteTables, type ForeignTables } from './tables.js';

export { ADOPT_SOURCES, type AdoptSource } from './sources.js';
import type { AdoptSource } from './sources.js';
import { plural } from '../words.js';

/** One version another tool recorded as applied. */
export interface ForeignApplied {
  version: number;
  /** What the tool called it (its script or description), for messages. */
  label: string;
  appliedAt: string | null;
  durationMs: number | null;
  /** How the tool's checksum is compared with a file's bytes; absent when the tool kept none. */
  checksum?: { kind: string; recorded: string; matches: (fileBytes: Buffer) => boolean };
}

/** A problem in the foreign history itself (a failed run, a version cairn cannot number). */
export interface ForeignProblem {
  version: string | null;
  problem: string;
}

export interface ForeignHistory {
  source: AdoptSource;
  /** Where it was read: a table name, or `PRAGMA user_version`. */
  table: string;
  applied: ForeignApplied[];
  /** Every version at or below this counts as applied without a row of its own (a Flyway BASELINE). */
  baselineUpTo: number | null;
  problems: ForeignProblem[];
  /** Kept out of the mapping on purpose (a Flyway repeatable migration), said out loud. */
  notes: string[];
}

/**
 * Reads `source`'s history from a SQLite file or a PostgreSQL schema (the
 * same rules for both: the tools keep the same tables on either). Values
 * come as either engine returns them: 1/0 or booleans, text or Dates,
 * numbers or a server's bigint as a string.
 */
export async function readForeignHistory(tables: ForeignTables, source: AdoptSource): Promise<ForeignHistory> {
  switch (source) {
    case 'goose':
      return readGoose(tables);
    case 'sqlx':
      return readSqlx(tables);
    case 'flyway':
      return readFlyway(tables);
    case 'plain-version':
      return readPlainVersion(tables);
  }
}

async function readGoose(tables: ForeignTables): Promise<ForeignHistory> {
  if (!(await tables.hasTable(GOOSE_TABLE))) throw absent('goose', GOOSE_TABLE, tables);
  const rows = await tables.rows<GooseRow>(GOOSE_TABLE, ['id', 'version_id', 'is_applied', 'tstamp']);
  const applied = gooseAppliedFrom(rows).map((row) => ({
    version: row.version_id,
    label: `goose version ${row.version_id}`,
    appliedAt: timeOf(row.tstamp),
    durationMs: null,
  }));
  return { source: 'goose', table: GOOSE_TABLE, applied, baselineUpTo: null, problems: [], notes: [] };
}

interface SqlxRow {
  version: number | bigint | string;
  description: string;
  installed_on: string | Date | null;
  success: number | boolean;
  checksum: Uint8Array;
  execution_time: number | bigint | string;
}

/** sqlx: one row per version; `success = 0` is a migration that failed half-way (sqlx calls the DB dirty). */
async function readSqlx(tables: ForeignTables): Promise<ForeignHistory> {
  if (!(await tables.hasTable(SQLX_TABLE))) throw absent('sqlx', SQLX_TABLE, tables);
  const rows = await tables.rows<SqlxRow>(SQLX_TABLE, ['version', 'description', 'installed_on', 'success', 'checksum', 'execution_time'], 'version');
  const applied: ForeignApplied[] = [];
  const problems: ForeignProblem[] = [];
  for (const row of rows) {
    const version = Number(row.version);
    if (!isTrue(row.success)) {
      problems.push({
        version: String(version),
        problem: `sqlx recorded ${version} (${row.description}) as failed (success = 0): the DB is dirty; fix it with sqlx first`,
      });
      continue;
    }
    const recorded = Buffer.from(row.checksum).toString('hex');
    applied.push({
      version,
      label: `${version} ${row.description}`,
      appliedAt: timeOf(row.installed_on),
      // sqlx keeps execution_time in nanoseconds.
      durationMs: Number(row.execution_time) / 1e6,
      checksum: { kind: 'sha384', recorded, matches: (bytes) => createHash('sha384').update(bytes).digest('hex') === recorded },
    });
  }
  return { source: 'sqlx', table: SQLX_TABLE, applied, baselineUpTo: null, problems, notes: [] };
}

interface FlywayRow {
  installed_rank: number;
  version: string | null;
  description: string;
  type: string;
  script: string;
  checksum: number | null;
  installed_on: string | Date | null;
  execution_time: number | null;
  success: number | boolean;
}

/**
 * Flyway: rows in installed_rank order. SQL/JDBC rows apply a version, an
 * UNDO_SQL or DELETE row (flyway repair) takes one back, a BASELINE row
 * stands for every version up to its own; repeatable migrations (no
 * version) have no place in a numbered history. Flyway before v5 kept the
 * same table under the name schema_version.
 */
async function readFlyway(tables: ForeignTables): Promise<ForeignHistory> {
  const table = (await tables.hasTable(FLYWAY_TABLE))
    ? FLYWAY_TABLE
    : (await tables.hasTable(PLAIN_VERSION_TABLE)) && (await tables.hasColumn(PLAIN_VERSION_TABLE, 'installed_rank'))
      ? PLAIN_VERSION_TABLE
      : null;
  if (!table) throw absent('flyway', FLYWAY_TABLE, tables);
  const columns = ['installed_rank', 'version', 'description', 'type', 'script', 'checksum', 'installed_on', 'execution_time', 'success'];
  const rows = await tables.rows<FlywayRow>(table, columns, 'installed_rank');
  const applied = new Map<number, ForeignApplied>();
  const problems: ForeignProblem[] = [];
  const notes: string[] = [];
  let baselineUpTo: number | null = null;
  for (const row of rows) {
    const type = row.type.toUpperCase();
    if (type === 'SCHEMA') continue;
    if (row.version === null || row.version === '') {
      notes.push(`${row.script}: a repeatable migration; cairn numbers every file, so it is not carried over (fold what it does into a numbered file)`);
      continue;
    }
    if (!isTrue(row.success)) {
      problems.push({
        version: row.version,
        problem: `Flyway recorded ${row.script} (version ${row.version}) as failed; run flyway repair, or fix the DB, first`,
      });
      continue;
    }
    if (!/^\d+$/.test(row.version) || !Number.isSafeInteger(Number(row.version))) {
      problems.push({
        version: row.version,
        problem: `Flyway version ${row.version} (${row.script}) is not a whole number, and cairn's versions are; renumber it`,
      });
      continue;
    }
    const version = Number(row.version);
    if (type === 'BASELINE') {
      baselineUpTo = Math.max(baselineUpTo ?? 0, version);
    } else if (type === 'UNDO_SQL' || type === 'UNDO_JDBC' || type === 'DELETE') {
      applied.delete(version);
    } else {
      const recorded = row.checksum;
      applied.set(version, {
        version,
        label: row.script,
        appliedAt: timeOf(row.installed_on),
        durationMs: row.execution_time === null ? null : Number(row.execution_time),
        ...(recorded === null
          ? {}
          : { checksum: { kind: 'crc32', recorded: String(recorded), matches: (bytes: Buffer) => flywayChecksum(bytes) === Number(recorded) } }),
      });
    }
  }
  return { source: 'flyway', table, applied: [...applied.values()].sort((a, b) => a.version - b.version), baselineUpTo, problems, notes };
}

/**
 * One number: a `schema_version` table holding a single row with a single
 * whole-number column, or else SQLite's `PRAGMA user_version`. Every file up
 * to it counts as applied; cairn cannot check which.
 */
async function readPlainVersion(tables: ForeignTables): Promise<ForeignHistory> {
  if (await tables.hasTable(PLAIN_VERSION_TABLE)) {
    if (await tables.hasColumn(PLAIN_VERSION_TABLE, 'installed_rank')) {
      throw new CairnError('E_ADOPT', `${tables.where}: ${PLAIN_VERSION_TABLE} is Flyway's history table (before Flyway 5); adopt it with --from flyway`, {
        table: PLAIN_VERSION_TABLE,
      });
    }
    const rows = (await tables.rows(PLAIN_VERSION_TABLE, '*')).map((row) => Object.values(row));
    const value = rows.length === 1 && rows[0]?.length === 1 ? rows[0][0] : undefined;
    const version = typeof value === 'bigint' ? Number(value) : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
      throw new CairnError(
        'E_ADOPT',
        `${tables.where}: ${PLAIN_VERSION_TABLE} should hold one row with one whole-number column; it holds ${plural(rows.length, 'row')}${rows[0] ? ` of ${plural(rows[0].length, 'column')}` : ''}`,
        { table: PLAIN_VERSION_TABLE },
      );
    }
    const userVersion = (await tables.userVersion?.()) ?? 0;
    const problems: ForeignProblem[] =
      userVersion !== 0 && userVersion !== version
        ? [{ version: String(userVersion), problem: `PRAGMA user_version is ${userVersion} but ${PLAIN_VERSION_TABLE} says ${version}: which one is true?` }]
        : [];
    return plainHistory(PLAIN_VERSION_TABLE, version, problems);
  }
  if (!tables.userVersion) throw absent('plain-version', PLAIN_VERSION_TABLE, tables);
  return plainHistory('PRAGMA user_version', await tables.userVersion(), []);
}

function plainHistory(table: string, version: number, problems: ForeignProblem[]): ForeignHistory {
  return {
    source: 'plain-version',
    table,
    applied: [],
    baselineUpTo: version > 0 ? version : null,
    problems,
    notes: version > 0 ? [] : [`${table} is 0: nothing was applied, so there is nothing to adopt`],
  };
}

function absent(source: AdoptSource, table: string, tables: ForeignTables): CairnError {
  return new CairnError('E_ADOPT', `${tables.where} has no ${table} table, so it was not migrated by ${source}; nothing was written`, { table });
}

/** sqlite's 1/0, a server's boolean. */
function isTrue(value: number | boolean | string): boolean {
  return value === true || Number(value) === 1;
}

/** A server's Date as is; SQLite's `YYYY-MM-DD HH:MM:SS[.fff]` (UTC) as ISO 8601; null when it is neither. */
function timeOf(value: string | Date | null): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (!value) return null;
  const date = new Date(/T/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
