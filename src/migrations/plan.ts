import { CairnError } from '../errors.js';
import { shortChecksum } from './checksum.js';
import { isUnwrittenTemplate } from './templates.js';
import type { AppliedMigration, Migration, MigrationStatement } from './types.js';

/**
 * The pure heart of the engine: given the files and the history, what is the
 * DB's state and what would `migrate` do. No I/O here; apply.ts executes.
 */
export interface EditedMigration {
  version: number;
  name: string;
  path: string;
  appliedChecksum: string;
  fileChecksum: string;
}

export interface MigrationRef {
  version: number;
  name: string;
}

/** What the state rules read of a file: who it is and what it hashes to, never its statements. */
export type MigrationIdentity = Pick<Migration, 'version' | 'name' | 'path' | 'checksum' | 'legacyChecksum'>;

export interface SchemaState<M extends MigrationIdentity = Migration> {
  /** Newest applied version, or null for a DB with no history. */
  current: number | null;
  applied: AppliedMigration[];
  pending: M[];
  edited: EditedMigration[];
  /** Applied versions whose file is gone, at or below the newest file (those the baseline covers excepted: retired by a squash). */
  missing: MigrationRef[];
  /** Applied versions above every file: the DB was migrated by a newer app. */
  unknown: (MigrationRef & { additive: boolean })[];
  newerThanApp: boolean;
  /** Pending files numbered below the newest applied version. */
  outOfOrder: MigrationRef[];
  /** Applied files renamed to a new number (same checksum): re-stamped, not re-run. */
  renamed: { from: MigrationRef; to: MigrationRef }[];
  /** The DB predates the baseline and the files that would bring it there are gone. */
  legacyChain: boolean;
  /** A fresh DB gets the baseline snapshot first. */
  baselinePending: boolean;
}

export interface Baseline {
  version: number;
  name: string;
  checksum: string;
  statements: MigrationStatement[];
}

/** What the state rules read: the files (by identity), the history, the baseline's version. */
export interface StateInput<M extends MigrationIdentity = Migration> {
  migrations: readonly M[];
  applied: readonly AppliedMigration[];
  baseline?: Pick<Baseline, 'version' | 'name'> | undefined;
  /** The DB has neither history nor app tables. */
  fresh: boolean;
  /**
   * cairn's history table exists, even if empty: cairn began migrating this
   * DB (a first NO TRANSACTION file killed half-way leaves tables and no row
   * yet), so its tables are not a stranger's.
   */
  managed?: boolean;
  /** Another tool's history found in an unmanaged DB (`goose`, `sqlx` …): the refusal then says how to adopt it. */
  foreignHistory?: string | null;
}

/** What planning reads: the files parsed, with the baseline's statements. */
export interface PlanInput extends StateInput {
  baseline?: Baseline | undefined;
}

export function schemaState<M extends MigrationIdentity>(input: StateInput<M>): SchemaState<M> {
  const { migrations, applied, baseline } = input;
  const files = new Map(migrations.map((m) => [m.version, m]));
  const appliedByVersion = new Map(applied.map((a) => [a.version, a]));
  const newestFile = migrations.length ? (migrations[migrations.length - 1] as M).version : null;
  const current = applied.length ? (applied[applied.length - 1] as AppliedMigration).version : null;
  const baselineRow = applied.find((a) => a.kind === 'baseline');
  const coveredUpTo = baselineRow?.version ?? (input.fresh && baseline ? baseline.version : null);

  const edited: EditedMigration[] = [];
  const gone: AppliedMigration[] = [];
  for (const row of applied) {
    if (row.kind === 'baseline') continue;
    const file = files.get(row.version);
    if (!file) gone.push(row);
    else if (file.checksum !== row.checksum && file.legacyChecksum !== row.checksum) {
      edited.push({ version: row.version, name: file.name, path: file.path, appliedChecksum: row.checksum, fileChecksum: file.checksum });
    }
  }

  let candidates = migrations.filter((m) => !appliedByVersion.has(m.version) && (coveredUpTo === null || m.version > coveredUpTo));

  const renamed: SchemaState['renamed'] = [];
  const renamedFrom = new Set<number>();
  for (const row of gone) {
    const matches = candidates.filter((m) => m.checksum === row.checksum || m.legacyChecksum === row.checksum);
    if (matches.length === 1) {
      const to = matches[0] as M;
      renamed.push({ from: { version: row.version, name: row.name }, to: { version: to.version, name: to.name } });
      renamedFrom.add(row.version);
      candidates = candidates.filter((m) => m !== to);
    }
  }

  const missing: MigrationRef[] = [];
  const unknown: SchemaState['unknown'] = [];
  for (const row of gone) {
    if (renamedFrom.has(row.version)) continue;
    // Squashed: the baseline now stands for the files up to its version, so their removal is expected.
    if (baseline && row.version <= baseline.version) continue;
    if (newestFile === null || row.version > newestFile) unknown.push({ version: row.version, name: row.name, additive: row.additive });
    else missing.push({ version: row.version, name: row.name });
  }

  const newestApplied = Math.max(-Infinity, ...applied.filter((a) => !renamedFrom.has(a.version)).map((a) => a.version));
  const outOfOrder = candidates.filter((m) => m.version < newestApplied).map((m) => ({ version: m.version, name: m.name }));

  const legacyChain =
    baseline !== undefined &&
    !baselineRow &&
    !input.fresh &&
    (current === null || current < baseline.version) &&
    !migrations.some((m) => m.version <= baseline.version && (current === null || m.version > current));

  return {
    current,
    applied: [...applied],
    pending: candidates,
    edited,
    missing,
    unknown,
    newerThanApp: unknown.length > 0,
    outOfOrder,
    renamed,
    legacyChain,
    baselinePending: input.fresh && baseline !== undefined,
  };
}

/** One unit of work for apply.ts. */
export type Step =
  | {
      kind: 'baseline';
      version: number;
      name: string;
      checksum: string;
      statements: MigrationStatement[];
      /** The files at or below the baseline's version it stands for (a goose history mirror records each). */
      covers: number[];
    }
  | { kind: 'up'; migration: Migration }
  | { kind: 'down'; migration: Migration }
  | { kind: 'rename'; from: MigrationRef; to: MigrationRef }
  /** `migrate --accept-edit`: the history row takes the edited file's checksum; nothing runs. */
  | { kind: 'accept-edit'; migration: Migration; appliedChecksum: string };

export interface PlanOptions {
  /** Target version: up to it, or down to it when below current. */
  to?: number | undefined;
  allowOutOfOrder?: boolean | undefined;
  /** Applied versions whose edited file is to be recorded as it is now (`migrate --accept-edit`), instead of refused. */
  acceptEdits?: readonly number[] | undefined;
}

export interface MigrationPlan {
  state: SchemaState;
  steps: Step[];
  /** Things the run proceeds despite (an older app on additive unknown versions). */
  warnings: string[];
}

/**
 * Decides what `migrate` does, or throws the refusal (a CairnError whose code
 * the CLI maps to exit 2). Refusals come before any write.
 */
export function planMigration(store: { name: string; file: string }, input: PlanInput, options: PlanOptions = {}): MigrationPlan {
  const state = schemaState(input);
  const warnings: string[] = [];

  const accepted = acceptedEdits(store, state, input, options.acceptEdits ?? []);
  assertNoEdits(store, { ...state, edited: state.edited.filter((e) => !accepted.some((a) => a.migration.version === e.version)) });
  if (state.newerThanApp) {
    const list = state.unknown.map((u) => `${u.version} (${u.name}${u.additive ? ', additive' : ''})`).join(', ');
    if (state.unknown.every((u) => u.additive)) {
      warnings.push(`${store.name}: the DB has versions this app does not know, all additive: ${list}; continuing (an older release on a newer DB)`);
    } else {
      throw new CairnError(
        'E_NEWER_THAN_APP',
        `${store.name} (${store.file}) was migrated by a newer release: it has ${state.unknown.length === 1 ? 'version' : 'versions'} ${list} that this app has no file for, and ${state.unknown.length === 1 ? 'it does not only add' : 'not all of them only add'}. Upgrade the app (nothing was changed).`,
        { store: store.name, unknown: state.unknown },
      );
    }
  }
  if (state.legacyChain) {
    throw new CairnError(
      'E_LEGACY_CHAIN',
      `${store.name} (${store.file}) is on a legacy migration chain (version ${state.current ?? 'none'}, below the baseline ${input.baseline?.version}, and the files between are gone). Move it over with export → fresh DB → restore (\`cairn cutover --store ${store.name}\`); nothing was changed.`,
      { store: store.name, current: state.current, baseline: input.baseline?.version },
    );
  }
  if (!input.fresh && !input.managed && state.applied.length === 0 && !state.legacyChain) {
    throw new CairnError(
      'E_UNMANAGED',
      `${store.name} (${store.file}) has tables but no ${'cairn_migrations'} history, so cairn cannot tell which migrations it has; nothing was changed. ${
        input.foreignHistory
          ? `It carries ${input.foreignHistory}'s history: take it over with \`cairn adopt --store ${store.name} --from ${input.foreignHistory}\`.`
          : 'Move its rows into a fresh DB with export → restore, or start from an empty file.'
      }`,
      { store: store.name, foreignHistory: input.foreignHistory ?? null },
    );
  }

  const target = options.to;
  const newest = Math.max(0, ...input.migrations.map((m) => m.version), ...input.applied.map((a) => a.version), input.baseline?.version ?? 0);
  if (target !== undefined && target > newest) {
    // A typo'd target must not read as "done": nothing would run, and the exit would say success.
    throw new CairnError('E_USAGE', `${store.name}: --to ${target} is above the newest migration (${newest}); no file has that version`, {
      store: store.name,
      to: target,
      newest,
    });
  }
  if (target !== undefined && state.current !== null && target < state.current) {
    return { state, steps: [...accepted, ...downSteps(store, state, input, target)], warnings };
  }

  if (state.outOfOrder.length > 0 && !options.allowOutOfOrder) {
    const names = state.outOfOrder.map((m) => m.name).join(', ');
    throw new CairnError(
      'E_OUT_OF_ORDER',
      `${store.name}: ${names} ${state.outOfOrder.length === 1 ? 'is' : 'are'} numbered below the newest applied version ${state.current} (two branches merged?). Renumber above ${state.current}, or apply anyway with --allow-out-of-order.`,
      { store: store.name, outOfOrder: state.outOfOrder },
    );
  }

  const steps: Step[] = [...accepted, ...state.renamed.map((r): Step => ({ kind: 'rename', from: r.from, to: r.to }))];
  if (state.baselinePending && input.baseline) {
    if (target !== undefined && target < input.baseline.version) {
      throw new CairnError(
        'E_USAGE',
        `${store.name}: --to ${target} is below the baseline version ${input.baseline.version}; a fresh DB starts at the baseline`,
        { store: store.name },
      );
    }
    const b = input.baseline;
    const covers = input.migrations.filter((m) => m.version <= b.version).map((m) => m.version);
    steps.push({ kind: 'baseline', version: b.version, name: b.name, checksum: b.checksum, statements: b.statements, covers });
  }
  for (const migration of state.pending) {
    if (target !== undefined && migration.version > target) continue;
    assertWritten(store, migration);
    steps.push({ kind: 'up', migration });
  }
  return { state, steps, warnings };
}

/** The refusal of applied files edited since (E_CHECKSUM_MISMATCH), naming the ways out. */
export function assertNoEdits(store: { name: string; file: string }, state: Pick<SchemaState, 'edited'>): void {
  if (state.edited.length === 0) return;
  const lines = state.edited.map(
    (e) => `${e.name} changed after it was applied (checksum ${shortChecksum(e.appliedChecksum)}… applied, ${shortChecksum(e.fileChecksum)}… on disk)`,
  );
  const newest = state.edited.at(-1)!;
  throw new CairnError(
    'E_CHECKSUM_MISMATCH',
    `${store.name} (${store.file}): ${lines.join('; ')}. Restore the file as it was applied, and put the change in a new migration instead. ` +
      `While developing: \`cairn redo --store ${store.name}\` reverts the newest file with the Down it was applied with and applies it as it is now; ` +
      `when the DB already matches the file, \`cairn migrate --store ${store.name} --accept-edit ${newest.version}\` records the file as it is (the old checksum is kept). Nothing was changed.`,
    { store: store.name, edited: state.edited },
  );
}

/** The accept-edit steps asked for; a version that is not an edited applied file is a usage error, not a silent no-op. */
function acceptedEdits(store: { name: string }, state: SchemaState, input: PlanInput, versions: readonly number[]): Extract<Step, { kind: 'accept-edit' }>[] {
  return [...new Set(versions)].map((version) => {
    const edit = state.edited.find((e) => e.version === version);
    const migration = input.migrations.find((m) => m.version === version);
    if (!edit || !migration) {
      const applied = state.applied.some((a) => a.version === version);
      throw new CairnError(
        'E_USAGE',
        `${store.name}: --accept-edit ${version}: ${applied ? (migration ? 'that file is unchanged since it was applied' : 'that version has no file') : 'that version is not applied'}; there is no edit to accept`,
        { store: store.name, version },
      );
    }
    return { kind: 'accept-edit', migration, appliedChecksum: edit.appliedChecksum };
  });
}

/** A file still as `cairn new` wrote it is refused, never applied: recorded empty, it could not be filled in later without an edit. */
function assertWritten(store: { name: string }, migration: Migration): void {
  if (!isUnwrittenTemplate(migration.source)) return;
  throw new CairnError(
    'E_UNWRITTEN_MIGRATION',
    `${store.name}: ${migration.path} is still the empty template \`cairn new\` wrote; write its Up (or delete the file) and run again. Nothing was changed.`,
    { store: store.name, file: migration.path, version: migration.version },
  );
}

function downSteps(store: { name: string }, state: SchemaState, input: PlanInput, target: number): Step[] {
  const files = new Map(input.migrations.map((m) => [m.version, m]));
  const steps: Step[] = [];
  for (const row of [...state.applied].reverse()) {
    if (row.version <= target) break;
    if (row.kind === 'baseline') {
      throw new CairnError('E_NO_DOWN', `${store.name}: cannot migrate below the baseline (version ${row.version}); a baseline has no Down`, {
        store: store.name,
      });
    }
    const file = files.get(row.version);
    if (!file) {
      throw new CairnError('E_NO_DOWN', `${store.name}: cannot revert ${row.version} (${row.name}): its file is gone`, {
        store: store.name,
        version: row.version,
      });
    }
    if (!file.down) {
      throw new CairnError('E_NO_DOWN', `${store.name}: cannot revert ${file.name}: it has no '-- +goose Down' section; add one, or migrate forward instead`, {
        store: store.name,
        version: row.version,
        file: file.path,
      });
    }
    steps.push({ kind: 'down', migration: file });
  }
  return steps;
}
