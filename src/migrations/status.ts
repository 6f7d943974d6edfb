import type { ResolvedStore } from '../config/stores.js';
import { errorMessage, isCairnError, type CairnError } from '../errors.js';
import { openDatabase } from '../sqlite/open.js';
import type { Env } from './envsub.js';
import { interruptedError, readInterrupted, type InterruptedRun } from './interrupted.js';
import { planInput } from './plan-input.js';
import { planMigration, schemaState, type MigrationRef, type PlanInput, type SchemaState } from './plan.js';
import { databaseExists } from '../sqlite/files.js';

/** What `cairn status --json` prints per store. Reading it never writes. */
export interface StoreStatus {
  store: string;
  file: string;
  exists: boolean;
  current: number | null;
  applied: { version: number; name: string; appliedAt: string; kind: 'migration' | 'baseline'; additive: boolean }[];
  pending: MigrationRef[];
  edited: SchemaState['edited'];
  missing: MigrationRef[];
  newerThanApp: boolean;
  unknown: SchemaState['unknown'];
  outOfOrder: MigrationRef[];
  renamed: SchemaState['renamed'];
  legacyChain: boolean;
  baselinePending: boolean;
  /** The DB has app tables but no cairn history: migrate refuses it (E_UNMANAGED). */
  unmanaged: boolean;
  /** In an unmanaged DB, the other tool whose history it carries (`cairn adopt --from` it). */
  foreignHistory: string | null;
  /** A NO TRANSACTION file that was killed or failed halfway: migrate refuses until --recover (interrupted.ts). */
  interrupted: InterruptedRun | null;
  /** What \`cairn migrate\` would refuse with (edited, newer, unmanaged, legacy chain, interrupted …), or null when it would run. */
  refusal: { code: string; message: string } | null;
  /** Set when the store could not be inspected (bad migration file, unreadable DB). */
  error: { code: string; message: string } | null;
}

/** A status with nothing known yet: what a store that cannot be inspected reports beside its error. */
export function emptyStatus(store: string, file: string, exists: boolean): StoreStatus {
  return {
    store,
    file,
    exists,
    current: null,
    applied: [],
    pending: [],
    edited: [],
    missing: [],
    newerThanApp: false,
    unknown: [],
    outOfOrder: [],
    renamed: [],
    legacyChain: false,
    baselinePending: false,
    unmanaged: false,
    foreignHistory: null,
    interrupted: null,
    refusal: null,
    error: null,
  };
}

export function storeStatus(store: ResolvedStore, options: { env?: Env } = {}): StoreStatus {
  const exists = databaseExists(store.file);
  const base = emptyStatus(store.name, store.file, exists);
  try {
    const db = exists ? openDatabase(store.file, { readonly: true }) : null;
    try {
      const input = planInput(store, db, options.env);
      const interrupted = db ? readInterrupted(db) : null;
      return { ...base, ...statusFrom(store, input, interrupted, interrupted ? interruptedError(store.name, store.file, interrupted) : null) };
    } finally {
      db?.close();
    }
  } catch (error) {
    return { ...base, error: { code: isCairnError(error) ? error.code : 'E_UNEXPECTED', message: errorMessage(error) } };
  }
}

/**
 * What status reports from what planning reads, for either engine: the
 * planner's own state and refusal (one set of rules, not a second copy).
 */
export function statusFrom(
  store: { name: string; file: string; allowOutOfOrder: boolean },
  input: PlanInput,
  interrupted: InterruptedRun | null,
  interruptedRefusal: CairnError | null,
): Omit<StoreStatus, 'store' | 'file' | 'exists' | 'error'> {
  const { applied, baseline, fresh } = input;
  const state = schemaState(input);
  const coveredByBaseline = state.baselinePending && baseline ? baseline.version : null;
  return {
    current: state.current,
    applied: state.applied.map((a) => ({ version: a.version, name: a.name, appliedAt: a.appliedAt, kind: a.kind, additive: a.additive })),
    pending: [
      ...(coveredByBaseline !== null && baseline ? [{ version: baseline.version, name: `${baseline.name} (baseline)` }] : []),
      ...state.pending.map((m) => ({ version: m.version, name: m.name })),
    ],
    edited: state.edited,
    missing: state.missing,
    newerThanApp: state.newerThanApp,
    unknown: state.unknown,
    outOfOrder: state.outOfOrder,
    renamed: state.renamed,
    legacyChain: state.legacyChain,
    baselinePending: state.baselinePending,
    unmanaged: !fresh && !input.managed && applied.length === 0 && !state.legacyChain,
    foreignHistory: input.foreignHistory ?? null,
    interrupted,
    refusal: interruptedRefusal ? { code: interruptedRefusal.code, message: interruptedRefusal.message } : refusalOf(store, input),
  };
}

/** The planner's own refusal, so status shows exactly what migrate would do. */
function refusalOf(store: { name: string; file: string; allowOutOfOrder: boolean }, input: PlanInput): StoreStatus['refusal'] {
  try {
    planMigration(store, input, { allowOutOfOrder: store.allowOutOfOrder });
    return null;
  } catch (error) {
    return { code: isCairnError(error) ? error.code : 'E_UNEXPECTED', message: errorMessage(error) };
  }
}
