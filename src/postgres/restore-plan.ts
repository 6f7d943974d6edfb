import type { RestoreOptions } from '../snapshot/restore.js';
import { snapshotDoesNotFit } from '../snapshot/restore.js';
import { carriedInSnapshot, type SnapshotManifest, type SnapshotTable } from '../snapshot/manifest.js';
import type { PgSession } from './session.js';
import { quotePgIdent as qi } from './target.js';
import { plural } from '../words.js';

/** A target column as a restore writes it. */
export interface PgTargetColumn {
  name: string;
  type: string;
  notNull: boolean;
  hasDefault: boolean;
  identity: boolean;
}

/** One snapshot table onto its target table: which line positions go into which columns. */
export interface PgTablePlan {
  entry: SnapshotTable;
  columns: { name: string; index: number; type: string }[];
  droppedColumns: string[];
  defaultedColumns: string[];
}

export async function targetTables(session: PgSession, schema: string): Promise<Map<string, PgTargetColumn[]>> {
  const rows = await session.query<PgTargetColumn & { table: string }>(
    `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS "notNull",
       a.atthasdef AS "hasDefault", a.attidentity <> '' AS identity
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
     ORDER BY c.relname, a.attnum`,
    [schema],
  );
  const tables = new Map<string, PgTargetColumn[]>();
  for (const { table, ...column } of rows) tables.set(table, [...(tables.get(table) ?? []), column]);
  return tables;
}

/**
 * Maps the snapshot onto the target's tables with the SQLite restore's
 * rules, refusing by name before any write: a table or column the target
 * lacks (unless dropped on purpose), a NOT NULL column without default the
 * snapshot cannot fill. Columns the snapshot lacks take their defaults.
 */
export function planPgRestore(
  manifest: SnapshotManifest,
  targets: Map<string, PgTargetColumn[]>,
  options: Pick<RestoreOptions, 'dropUnknownColumns' | 'dropUnknownTables'>,
): { tables: PgTablePlan[]; droppedTables: string[] } {
  const tables: PgTablePlan[] = [];
  const droppedTables: string[] = [];
  const problems: string[] = [];
  for (const entry of manifest.tables) {
    const target = targets.get(entry.name);
    if (!target || !carriedInSnapshot(entry.name)) {
      if (options.dropUnknownTables) droppedTables.push(entry.name);
      else problems.push(`table ${entry.name} (${plural(entry.rows, 'row')}) is not in the target's schema`);
      continue;
    }
    const byName = new Map(target.map((c) => [c.name, c]));
    const columns: PgTablePlan['columns'] = [];
    const droppedColumns: string[] = [];
    entry.columns.forEach((c, index) => {
      const column = byName.get(c.name);
      if (column) columns.push({ name: c.name, index, type: column.type });
      else droppedColumns.push(c.name);
    });
    if (droppedColumns.length > 0 && !options.dropUnknownColumns) {
      problems.push(`${entry.name}: column${droppedColumns.length > 1 ? 's' : ''} ${droppedColumns.join(', ')} not in the target's schema`);
    }
    const fromSnapshot = new Set(entry.columns.map((c) => c.name));
    const defaultedColumns = target.filter((c) => !fromSnapshot.has(c.name)).map((c) => c.name);
    for (const column of target.filter((c) => !fromSnapshot.has(c.name))) {
      if (column.notNull && !column.hasDefault && !column.identity && entry.rows > 0) {
        problems.push(`${entry.name}.${column.name} is NOT NULL with no default in the target, and the snapshot has no values for it`);
      }
    }
    if (columns.length === 0 && entry.rows > 0) problems.push(`${entry.name}: none of the snapshot's columns is in the target's schema`);
    tables.push({ entry, columns, droppedColumns, defaultedColumns });
  }
  if (problems.length > 0) throw snapshotDoesNotFit(problems);
  return { tables, droppedTables };
}

/**
 * A column type without its length, precision or scale (`character
 * varying(20)` → `character varying`, `numeric(10,2)` → `numeric`). An
 * explicit cast to the full type would cut a long string or round a number
 * without a word; cast to the base type, the value then meets the column's
 * limits on assignment, where too long is an error, and the check before
 * the commit catches what the column rounds.
 */
export function baseType(type: string): string {
  return type.replace(/\(\d+(?:,\s*\d+)?\)/g, '');
}

/**
 * The SQL reading column `index` of a line (a json value `j`) as the
 * target's base type, through the type's own input: exact for every number
 * (the json keeps the token's text), NULL for null, base64 for bytea, and
 * the snapshot's ±9.0e+999 as ±Infinity where the type has one. A value the
 * type cannot take fails the cast, which the restore turns into a refusal
 * naming the table, column and line.
 */
export function castFromLine(index: number, type: string): string {
  const text = `(j->>${index})`;
  const base = baseType(type);
  if (base === 'bytea') return `CASE WHEN json_typeof(j->${index}) = 'object' THEN decode(j->${index}->>'encoded', 'base64') ELSE ${text}::bytea END`;
  if (/^(real|double precision|numeric)$/.test(base)) {
    return `CASE ${text} WHEN '9.0e+999' THEN 'Infinity'::${base} WHEN '-9.0e+999' THEN '-Infinity'::${base} ELSE ${text}::${base} END`;
  }
  return `${text}::${base}`;
}

/** INSERT of a batch of lines (one json array parameter) into `table`, identity columns taking the snapshot's values. */
export function insertFromLines(schema: string, plan: PgTablePlan, identity: boolean): string {
  const names = plan.columns.map((c) => qi(c.name)).join(', ');
  const values = plan.columns.map((c) => castFromLine(c.index, c.type)).join(', ');
  return `INSERT INTO ${qi(schema)}.${qi(plan.entry.name)} (${names})${identity ? ' OVERRIDING SYSTEM VALUE' : ''} SELECT ${values} FROM json_array_elements($1::json) AS r(j)`;
}
