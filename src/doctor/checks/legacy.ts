import path from 'node:path';
import { isPostgresStore, type PostgresStore, type ResolvedStore, type StoreRegistry } from '../../config/stores.js';
import { errorMessage } from '../../errors.js';
import type { BackfillJob } from '../../backfill/define.js';
import { readFallbacks, type FallbackSummary } from '../../backfill/fallbacks.js';
import { jobFilesOnDisk, type JobFilesOnDisk } from '../../backfill/on-disk.js';
import { readinessOf, type BackfillReadiness } from '../../backfill/readiness.js';
import { hasStateTable, readItemRecords, readJobState, type ItemRecord, type JobState } from '../../backfill/state.js';
import type { DeclaredJobs } from '../../backfill/status.js';
import { readImportLedger } from '../../importers/ledger.js';
import { planFilesOnDisk } from '../../importers/on-disk.js';
import type { Env } from '../../migrations/envsub.js';
import { databaseExists } from '../../sqlite/files.js';
import { formatBytes, plural } from '../format.js';
import { openReadOnly } from '../inspect.js';
import type { DoctorCheck } from '../types.js';
import { checkResult } from './result.js';

const DAY_MS = 24 * 3600_000;

interface Finding {
  detail: string;
  warn: boolean;
  remedy: string | null;
  /** Reads that went to the files in the last 24 hours (readThrough). */
  fallbackReads?: number;
}

/**
 * The legacy files each declared import plan and backfill job reads, still
 * on disk: how many, how big, how many are already in the store and how many
 * are not, with the command that finishes the job; for a job, also the reads
 * an app made from the files instead of the DB in the last 24 hours
 * (readThrough) and a sample of files rewritten since they were backfilled.
 * Never writes: SQLite stores are opened read-only.
 */
export async function legacyCheck(registry: StoreRegistry, jobs: DeclaredJobs, options: { env?: Env; now: number }): Promise<DoctorCheck> {
  const findings = new Map<string, Finding>();
  for (const [name, file] of Object.entries(registry.imports)) findings.set(`import ${name}`, await importFinding(registry, name, file));
  for (const [name, declared] of jobs) {
    findings.set(
      `backfill ${name}`,
      'error' in declared
        ? { detail: `skipped: ${declared.error}`, warn: true, remedy: null }
        : await jobFinding(registry, name, declared.job, declared.target, options),
    );
  }
  if (findings.size === 0) return checkResult(null, 'legacy', 'idle', 'no import plans or backfill jobs declared');
  const details = Object.fromEntries([...findings].map(([key, f]) => [key, f.detail]));
  const warned = [...findings.values()].filter((f) => f.warn);
  const remedies = warned.flatMap((f) => (f.remedy ? [f.remedy] : []));
  const reads = [...findings.values()].reduce((n, f) => n + (f.fallbackReads ?? 0), 0);
  const summary = warned.length
    ? `${plural(warned.length, 'plan or job', 'plans or jobs')} not finished with the files on disk`
    : 'every legacy file on disk is in its store';
  return checkResult(
    null,
    'legacy',
    warned.length ? 'warn' : 'ok',
    reads ? `${summary} · ${plural(reads, 'read')} fell back to files in the last 24 h` : summary,
    details,
    remedies.length ? remedies.join(' ') : null,
  );
}

async function importFinding(registry: StoreRegistry, name: string, file: string): Promise<Finding> {
  try {
    const { loadPlan } = await import('../../importers/run.js');
    const plan = await loadPlan(path.resolve(registry.root, file));
    const ledger = readImportLedger(registry.home, name);
    const disk = planFilesOnDisk(plan, ledger, registry.home);
    const where = `in ${disk.from}`;
    if (disk.files === 0) return { detail: `no legacy files ${where}${ledger ? ` (last complete run ${ledger.finishedAt})` : ''}`, warn: false, remedy: null };
    const left = disk.changed + disk.notImported;
    const command = `\`cairn import ${name}${disk.from === registry.home ? '' : ` --from ${disk.from}`}\``;
    const parts = [`${plural(disk.files, 'file')} (${formatBytes(disk.bytes)}) ${where}`, `${disk.imported} imported`];
    if (disk.changed) parts.push(`${disk.changed} changed since`);
    if (disk.notImported) parts.push(`${disk.notImported} not imported`);
    if (left === 0) parts.push('all in the store: the files can be archived');
    return {
      detail: parts.join(' · '),
      warn: left > 0,
      remedy: left > 0 ? `Run ${command} to take in ${plural(left, 'file')} not yet imported as they are now (rows already there are left alone).` : null,
    };
  } catch (error) {
    return { detail: `skipped: ${errorMessage(error)}`, warn: true, remedy: null };
  }
}

async function jobFinding(registry: StoreRegistry, name: string, job: BackfillJob, target: string, options: { env?: Env; now: number }): Promise<Finding> {
  const store = registry.stores.find((s) => s.name === target) ?? registry.postgres?.find((s) => s.name === target);
  if (!store) return { detail: `skipped: its target store ${target} is not declared`, warn: true, remedy: null };
  try {
    const recorded = await recordedState(store, name, options);
    const context = { home: registry.home, root: registry.home, from: registry.home };
    const disk = jobFilesOnDisk(job, name, context, recorded.items);
    const readiness = readinessOf(name, recorded.state, options.now);
    return describeJob(name, disk, readiness, recorded.fallbacks);
  } catch (error) {
    return { detail: `skipped: ${errorMessage(error)}`, warn: true, remedy: null };
  }
}

/** The job's state and item records, and the fallback reads of the last day (SQLite stores only: readThrough runs on a SQLite connection). */
async function recordedState(
  store: ResolvedStore | PostgresStore,
  job: string,
  options: { env?: Env; now: number },
): Promise<{ state: JobState | null; items: Map<string, ItemRecord>; fallbacks: FallbackSummary | null }> {
  if (isPostgresStore(store)) {
    const { pgBackfillTarget } = await import('../../postgres/backfill-target.js');
    const target = pgBackfillTarget(store, options.env);
    try {
      const state = await target.readJobState(job);
      return { state, items: state ? await target.readItemRecords(job) : new Map(), fallbacks: null };
    } finally {
      await target.close();
    }
  }
  if (!databaseExists(store.file)) return { state: null, items: new Map(), fallbacks: null };
  const { db, problem } = openReadOnly(store.file);
  if (!db) throw new Error(`${store.file} cannot be read (${problem?.kind ?? 'unknown'}): see ${store.name}.integrity`);
  try {
    const present = hasStateTable(db);
    return {
      state: present ? readJobState(db, job) : null,
      items: present ? readItemRecords(db, job) : new Map(),
      fallbacks: readFallbacks(db, new Date(options.now - DAY_MS).toISOString()).find((f) => f.job === job) ?? null,
    };
  } finally {
    db.close();
  }
}

function describeJob(name: string, disk: JobFilesOnDisk, readiness: BackfillReadiness, fallbacks: FallbackSummary | null): Finding {
  const done = disk.files ? Math.floor((disk.backfilled * 100) / disk.files) : 100;
  const parts = [`${plural(disk.files, 'file')} (${formatBytes(disk.bytes)})`, `${disk.backfilled} backfilled (${done}%)`];
  if (disk.notYet) parts.push(`${disk.notYet} not yet`);
  if (disk.grown) parts.push(`${disk.grown} grown since`);
  if (disk.rewritten)
    parts.push(`${disk.rewritten} rewritten since (${disk.rewrittenSample.join(', ')}${disk.rewritten > disk.rewrittenSample.length ? ', …' : ''})`);
  if (fallbacks) {
    const why = Object.entries(fallbacks.reasons)
      .map(([reason, n]) => `${reason} ×${n}`)
      .join(', ');
    parts.push(`${plural(fallbacks.reads, 'read')} fell back to files in the last 24 h (${why}): backfill ${name} is ${readiness.phase}, ${done}% done`);
  }
  const remedies: string[] = [];
  if (disk.notYet) remedies.push(`Run \`cairn backfill ${name}\` (or start the app) to read the ${plural(disk.notYet, 'file')} not yet backfilled.`);
  if (disk.grown || disk.rewritten) {
    remedies.push(`Run \`cairn backfill ${name} --refresh\` to read what grew and read the rewritten files again (their rows are replaced by key).`);
  }
  if (fallbacks?.reasons['db-error']) remedies.push(`A read from the DB failed (${fallbacks.detail ?? 'see the app log'}): run \`cairn doctor --full\`.`);
  return { detail: parts.join(' · '), warn: remedies.length > 0, remedy: remedies.join(' ') || null, fallbackReads: fallbacks?.reads ?? 0 };
}
