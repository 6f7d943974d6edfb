import fs from 'node:fs';
import { CairnError } from '../errors.js';
import type { AppliedMigration, Migration } from '../migrations/types.js';
import type { AdoptSource, ForeignHistory } from './read-history.js';

// What adopt decides, for either engine: the foreign history mapped onto the
// store's files, and every reason to write nothing. The engines only read
// and write.

/** Something in the foreign history that does not fit the store's files: adopt writes nothing while any is left. */
export interface AdoptMismatch {
  version: string | null;
  file: string | null;
  problem: string;
}

export interface AdoptResult {
  store: string;
  file: string;
  from: AdoptSource;
  /** Where the foreign history was read. */
  table: string;
  dryRun: boolean;
  /** The cairn history already held exactly these rows: nothing was written. */
  alreadyAdopted: boolean;
  /** The history rows written (or, with dryRun, that would be). */
  adopted: { version: number; name: string; checked: string | null }[];
  /** Files above the adopted versions: `cairn migrate` applies them next. */
  pending: { version: number; name: string }[];
  notes: string[];
}

/**
 * The adoption `foreign` and the store's files call for, or the refusal:
 * a cairn history already there and different, any mismatch, or nothing
 * applied. `alreadyAdopted` when the cairn history holds exactly these rows.
 */
export function planAdoption(
  where: { store: string; file: string; dryRun: boolean },
  foreign: ForeignHistory,
  migrations: readonly Migration[],
  existing: readonly AppliedMigration[],
): { result: AdoptResult; rows: MappedRow[] } {
  const { rows, mismatches } = mapHistory(foreign, migrations);
  const newestAdopted = Math.max(0, ...rows.map((r) => r.migration.version));
  const result: AdoptResult = {
    store: where.store,
    file: where.file,
    from: foreign.source,
    table: foreign.table,
    dryRun: where.dryRun,
    alreadyAdopted: false,
    adopted: rows.map((r) => ({ version: r.migration.version, name: r.migration.name, checked: r.checked })),
    pending: migrations.filter((m) => m.version > newestAdopted).map((m) => ({ version: m.version, name: m.name })),
    notes: foreign.notes,
  };
  if (existing.length > 0) {
    if (sameHistory(existing, rows)) return { result: { ...result, alreadyAdopted: true }, rows: [] };
    throw new CairnError(
      'E_ADOPT',
      `${where.store} (${where.file}) already has a cairn history (versions ${existing.map((e) => e.version).join(', ')}) that differs from what ${foreign.source} recorded; nothing was written. Adopt runs once, on a DB cairn does not manage yet.`,
      { store: where.store, existing: existing.map((e) => e.version) },
    );
  }
  if (mismatches.length > 0) {
    throw new CairnError(
      'E_ADOPT',
      `${where.store}: ${foreign.source}'s history (${foreign.table}) does not match the store's files; nothing was written:\n${mismatches
        .map((m) => `  - ${m.file ?? (m.version === null ? '' : `version ${m.version}`)}: ${m.problem}`)
        .join('\n')}`,
      { store: where.store, from: foreign.source, table: foreign.table, mismatches },
    );
  }
  if (rows.length === 0) {
    throw new CairnError(
      'E_ADOPT',
      `${where.store}: ${foreign.table} records no applied version; there is nothing to adopt (a DB with no history is migrated from scratch)`,
      { store: where.store },
    );
  }
  return { result, rows };
}

export interface MappedRow {
  migration: Migration;
  appliedAt: string | null;
  durationMs: number | null;
  /** How the file was checked against what ran: `sha384`, `crc32`, or null when the tool kept no checksum. */
  checked: string | null;
}

/** The pure part: foreign versions onto files, and every way they disagree. */
export function mapHistory(foreign: ForeignHistory, migrations: readonly Migration[]): { rows: MappedRow[]; mismatches: AdoptMismatch[] } {
  const files = new Map(migrations.map((m) => [m.version, m]));
  const mismatches: AdoptMismatch[] = foreign.problems.map((p) => ({ version: p.version, file: null, problem: p.problem }));
  const rows = new Map<number, MappedRow>();
  const baseline = foreign.baselineUpTo;
  if (baseline !== null) {
    if (!files.has(baseline) && foreign.source === 'plain-version') {
      const newest = migrations.at(-1)?.version;
      mismatches.push({
        version: String(baseline),
        file: null,
        problem:
          newest === undefined || baseline > newest
            ? `${foreign.table} is ${baseline}, above the newest file (${newest ?? 'none'}): this DB was migrated by a newer release, or the files are missing`
            : `${foreign.table} is ${baseline}, and no file has that number: cannot tell which files it covers`,
      });
    } else {
      for (const m of migrations) if (m.version <= baseline) rows.set(m.version, { migration: m, appliedAt: null, durationMs: null, checked: null });
    }
  }
  for (const applied of foreign.applied) {
    const file = files.get(applied.version);
    if (!file) {
      mismatches.push({
        version: String(applied.version),
        file: null,
        problem: `${foreign.source} applied ${applied.label}, but the store has no file numbered ${applied.version}`,
      });
      continue;
    }
    if (applied.checksum && !applied.checksum.matches(fs.readFileSync(file.path))) {
      mismatches.push({
        version: String(applied.version),
        file: file.name,
        problem: `its text differs from what ${foreign.source} applied (${applied.checksum.kind} ${applied.checksum.recorded.slice(0, 16)} recorded); restore the file exactly as it ran, and put changes in a new migration`,
      });
      continue;
    }
    rows.set(applied.version, { migration: file, appliedAt: applied.appliedAt, durationMs: applied.durationMs, checked: applied.checksum?.kind ?? null });
  }
  const newest = Math.max(0, ...foreign.applied.map((a) => a.version), baseline ?? 0);
  for (const m of migrations) {
    if (m.version < newest && !rows.has(m.version) && !mismatches.some((x) => x.version === String(m.version))) {
      mismatches.push({
        version: String(m.version),
        file: m.name,
        problem: `${foreign.source} never applied it, yet applied later versions (up to ${newest}); apply it with ${foreign.source} first, or renumber it above ${newest}`,
      });
    }
  }
  return { rows: [...rows.values()].sort((a, b) => a.migration.version - b.migration.version), mismatches };
}

/** Every version the mapping gives is already in the cairn history, same file: adopted before (and maybe migrated on since). */
function sameHistory(existing: readonly AppliedMigration[], rows: readonly MappedRow[]): boolean {
  const byVersion = new Map(existing.map((e) => [e.version, e]));
  return rows.length > 0 && rows.every((r) => byVersion.get(r.migration.version)?.checksum === r.migration.checksum);
}

/**
 * The text to record as what ran (for `cairn redo` after an edit): the file's,
 * only when the tool's checksum proved it is what the tool applied. A tool
 * that kept no checksum (goose) leaves it unknown, and redo then refuses an
 * edited file rather than guess its Down.
 */
export function appliedText(migration: Migration, checked: string | null): string | undefined {
  return checked ? migration.source : undefined;
}
