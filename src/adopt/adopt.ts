import fs from 'node:fs';
import type { ResolvedStore } from '../config/stores.js';
import { CairnError } from '../errors.js';
import type { Env } from '../migrations/envsub.js';
import { ensureHistory, readHistory, recordApplied } from '../migrations/history.js';
import { readStoreSource } from '../migrations/migrator.js';
import type { AppliedMigration, Migration } from '../migrations/types.js';
import type { Db } from '../sqlite/db.js';
import { WriteLock } from '../sqlite/lock.js';
import { openDatabase } from '../sqlite/open.js';
import { readForeignHistory, type AdoptSource, type ForeignHistory } from './read-history.js';
import { databaseExists } from '../sqlite/files.js';

export interface AdoptOptions {
  from: AdoptSource;
  /** Report what would be written; write nothing. */
  dryRun?: boolean;
  env?: Env;
  now?: () => Date;
}

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
 * Takes over a DB another tool migrated: reads that tool's history, maps
 * each applied version onto the store's file of the same number (comparing
 * the tool's checksum with the file's bytes where the tool kept one), and
 * writes the cairn history in one transaction. The other tool's table is
 * left as it is. Any mismatch (an applied version without a file, a file
 * whose text differs from what ran, a gap, a failed run) is listed in the
 * refusal and nothing is written. Re-running on an adopted DB writes
 * nothing.
 */
export async function adoptStore(store: ResolvedStore, options: AdoptOptions): Promise<AdoptResult> {
  if (!databaseExists(store.file)) {
    throw new CairnError('E_NO_DATABASE', `${store.name}: ${store.file} does not exist; there is nothing to adopt`, { store: store.name, file: store.file });
  }
  const work = (db: Db): AdoptResult => {
    const { migrations } = readStoreSource(store, options.env);
    const foreign = readForeignHistory(db, options.from);
    const { rows, mismatches } = mapHistory(foreign, migrations);
    const result: AdoptResult = {
      store: store.name,
      file: store.file,
      from: options.from,
      table: foreign.table,
      dryRun: Boolean(options.dryRun),
      alreadyAdopted: false,
      adopted: rows.map((r) => ({ version: r.migration.version, name: r.migration.name, checked: r.checked })),
      pending: migrations.filter((m) => m.version > Math.max(0, ...rows.map((r) => r.migration.version))).map((m) => ({ version: m.version, name: m.name })),
      notes: foreign.notes,
    };
    const existing = readHistory(db);
    if (existing.length > 0) {
      if (sameHistory(existing, rows)) return { ...result, alreadyAdopted: true };
      throw new CairnError(
        'E_ADOPT',
        `${store.name} (${store.file}) already has a cairn history (versions ${existing.map((e) => e.version).join(', ')}) that differs from what ${options.from} recorded; nothing was written. Adopt runs once, on a DB cairn does not manage yet.`,
        { store: store.name, existing: existing.map((e) => e.version) },
      );
    }
    if (mismatches.length > 0) {
      throw new CairnError(
        'E_ADOPT',
        `${store.name}: ${options.from}'s history (${foreign.table}) does not match the store's files; nothing was written:\n${mismatches
          .map((m) => `  - ${m.file ?? (m.version === null ? '' : `version ${m.version}`)}: ${m.problem}`)
          .join('\n')}`,
        { store: store.name, from: options.from, table: foreign.table, mismatches },
      );
    }
    if (rows.length === 0) {
      throw new CairnError(
        'E_ADOPT',
        `${store.name}: ${foreign.table} records no applied version; there is nothing to adopt (a DB with no history is migrated from scratch)`,
        {
          store: store.name,
        },
      );
    }
    if (!options.dryRun) {
      const now = (options.now ?? (() => new Date()))().toISOString();
      db.withTransaction(() => {
        ensureHistory(db);
        for (const { migration, appliedAt, durationMs } of rows) {
          recordApplied(db, {
            version: migration.version,
            name: migration.name,
            checksum: migration.checksum,
            appliedAt: appliedAt ?? now,
            durationMs: durationMs ?? 0,
            additive: migration.additive,
            kind: 'migration',
          });
        }
      });
    }
    return result;
  };
  if (options.dryRun) {
    const db = openDatabase(store.file, { readonly: true });
    try {
      return work(db);
    } finally {
      db.close();
    }
  }
  return WriteLock.with(store.file, { timeoutMs: store.lockTimeoutMs }, () => {
    const db = openDatabase(store.file, { pragmas: store.pragmas });
    try {
      return work(db);
    } finally {
      db.close();
    }
  });
}

interface MappedRow {
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
