import { CairnError } from '../errors.js';
import { assertNoEdits, schemaState, type MigrationPlan, type PlanInput } from './plan.js';
import { isUnwrittenTemplate } from './templates.js';
import type { Migration } from './types.js';

/** The text a version was applied from, as the history keeps it (history.ts). */
export interface AppliedSource {
  checksum: string;
  text: string;
}

/**
 * `cairn redo`, planned: revert the newest applied file and apply it again,
 * as goose's `redo` does; the loop of a developer who is still writing it.
 * When the file was edited since it was applied, the Down that runs is the
 * one the DB was given, parsed from the text recorded with the history row:
 * the edited file's Down would undo what the DB never got. Pending files are
 * left pending. Refused (nothing written) when there is no Down to run.
 */
export function planRedo(
  store: { name: string; file: string },
  input: PlanInput,
  applied: AppliedSource | null,
  parse: (text: string, file: Migration) => Migration,
): MigrationPlan {
  const state = schemaState(input);
  const row = state.applied.at(-1);
  const refuse = (message: string): never => {
    throw new CairnError('E_NO_DOWN', `${store.name}: cannot redo ${message}; nothing was changed`, { store: store.name, version: row?.version ?? null });
  };
  if (!row) throw new CairnError('E_USAGE', `${store.name}: no migration has been applied to ${store.file}; there is nothing to redo`, { store: store.name });
  if (row.kind === 'baseline') refuse(`the baseline (version ${row.version}): a baseline has no Down`);
  const file = input.migrations.find((m) => m.version === row.version);
  if (!file) {
    refuse(
      state.unknown.some((u) => u.version === row.version)
        ? `${row.version} (${row.name}): a newer release applied it and this app has no file for it`
        : `${row.version} (${row.name}): its file is gone`,
    );
  }
  const current = file as Migration;
  // Only the file being redone may differ from what was applied; any other edit is refused as migrate refuses it.
  assertNoEdits(store, { edited: state.edited.filter((e) => e.version !== row.version) });
  const edited = current.checksum !== row.checksum && current.legacyChecksum !== row.checksum;
  const down = edited ? appliedVersion(store.name, current, row.checksum, applied, parse) : current;
  if (!down.down)
    refuse(`${current.name}: it has no '-- +goose Down' section${edited ? ' as it was applied' : ''}; add one, or write the change as a new migration`);
  if (isUnwrittenTemplate(current.source)) {
    throw new CairnError('E_UNWRITTEN_MIGRATION', `${store.name}: ${current.path} is the empty template \`cairn new\` wrote; write its Up before redoing it`, {
      store: store.name,
      file: current.path,
    });
  }
  return {
    state,
    steps: [
      { kind: 'down', migration: down },
      { kind: 'up', migration: current },
    ],
    warnings: edited ? [`${store.name}: ${current.name} changed since it was applied: it is reverted with the Down it was applied with`] : [],
  };
}

/** The file as it was applied, from the recorded text; refused when that text is not there to run. */
function appliedVersion(
  store: string,
  file: Migration,
  checksum: string,
  applied: AppliedSource | null,
  parse: (text: string, file: Migration) => Migration,
): Migration {
  const fail = (why: string): never => {
    throw new CairnError(
      'E_NO_DOWN',
      `${store}: cannot redo ${file.name}: it changed since it was applied, and ${why}. Put the file back as it was applied and redo, or, if the DB already matches the file, cairn migrate --store ${store} --accept-edit ${file.version}; nothing was changed`,
      { store, version: file.version, file: file.path },
    );
  };
  if (!applied || applied.checksum !== checksum)
    return fail("this DB holds no copy of the text it was applied from (it was applied by an earlier cairn release, or adopted from another tool's history)");
  if (file.format === 'module') return fail('a code migration cannot be run from its recorded text (it may import files that changed too)');
  return { ...parse(applied.text, file), path: `${file.path} (as applied)` };
}
