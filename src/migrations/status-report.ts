import { CairnError, errorMessage, isCairnError } from '../errors.js';
import type { InterruptedRun } from './interrupted.js';
import { planMigration, schemaState, type MigrationIdentity, type MigrationRef, type PlanInput, type SchemaState, type StateInput } from './plan.js';

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

/**
 * What status reports from what planning reads, for either engine: the
 * planner's own state (one set of rules, not a second copy) beside the
 * refusal `refusalOf` found.
 */
export function statusFrom(
  input: StateInput<MigrationIdentity>,
  interrupted: InterruptedRun | null,
  refusal: StoreStatus['refusal'],
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
    refusal,
  };
}

/** The planner's own refusal (or the interrupted run's), so status shows exactly what migrate would do. */
export function refusalOf(
  store: { name: string; file: string; allowOutOfOrder: boolean },
  input: PlanInput,
  interruptedRefusal: CairnError | null,
): StoreStatus['refusal'] {
  if (interruptedRefusal) return { code: interruptedRefusal.code, message: interruptedRefusal.message };
  try {
    planMigration(store, input, { allowOutOfOrder: store.allowOutOfOrder });
    return null;
  } catch (error) {
    return { code: isCairnError(error) ? error.code : 'E_UNEXPECTED', message: errorMessage(error) };
  }
}

/**
 * The rule migrate applies to a DB a newer release migrated, for the other
 * writers (import, backfill, restore): when every version the app does not
 * know only adds (tables, columns, indexes), the app's rows still fit, so
 * the write goes on with this warning; otherwise E_NEWER_THAN_APP, before
 * anything is written. Null when the DB is not newer.
 */
export function newerThanAppWarning(status: Pick<StoreStatus, 'store' | 'newerThanApp' | 'unknown'>, where: string, verb: string): string | null {
  if (!status.newerThanApp) return null;
  const list = status.unknown.map((u) => `${u.version} (${u.name}${u.additive ? ', additive' : ''})`).join(', ');
  if (status.unknown.every((u) => u.additive)) {
    return `${status.store}: ${where} has versions this app does not know, all additive: ${list}; ${verb} it anyway (an older release on a newer DB)`;
  }
  throw new CairnError(
    'E_NEWER_THAN_APP',
    `${status.store}: ${where} was migrated by a newer release: it has ${status.unknown.length === 1 ? 'version' : 'versions'} ${list} that this app has no file for, and ${status.unknown.length === 1 ? 'it does not only add' : 'not all of them only add'}. Upgrade the app before ${verb} it; nothing was written`,
    { store: status.store, unknown: status.unknown },
  );
}
