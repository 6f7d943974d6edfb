import type { StoreStatus } from '../../migrations/status.js';
import { plural } from '../format.js';
import type { StoreContext } from '../inspect.js';
import type { DoctorCheck } from '../types.js';
import { checkResult } from './result.js';

const names = (refs: readonly { name: string }[]) => refs.map((r) => r.name).join(', ');

/**
 * Where the schema stands against this app's migration files. What `migrate`
 * would refuse is a failure; what it would do, or proceed despite, is a warning.
 */
/** What the schema check needs to know of a store, whichever engine keeps it. */
export interface SchemaSubject {
  name: string;
  migrations: string | null;
  /** The database (SQLite file, PostgreSQL schema) exists. */
  exists: boolean;
  /** What "not there yet" is called for this engine: `no file yet`, `no schema yet`. */
  absent: string;
  /** The file is corrupt: the history on it cannot be trusted (see integrity). */
  corrupt: boolean;
}

/** The subject of a SQLite store's schema check. */
export function sqliteSubject(ctx: StoreContext): SchemaSubject {
  return {
    name: ctx.store.name,
    migrations: ctx.store.migrations,
    exists: Boolean(ctx.files.db),
    absent: 'no file yet',
    corrupt: ctx.problem?.kind === 'corrupt',
  };
}

export function schemaCheck(subject: SchemaSubject, status: StoreStatus): DoctorCheck {
  const name = subject.name;
  const migrate = `cairn migrate --store ${name}`;
  const details: Record<string, string | number> = {
    version: status.current === null ? 'none' : `${status.current}${status.applied.at(-1) ? ` (${status.applied.at(-1)?.name})` : ''}`,
    applied: status.applied.length,
    pending: status.pending.length,
  };
  if (subject.migrations) details['migrations'] = subject.migrations;
  const fail = (summary: string, remedy: string) => checkResult(name, 'schema', 'fail', summary, details, remedy);
  const warn = (summary: string, remedy: string) => checkResult(name, 'schema', 'warn', summary, details, remedy);

  if (status.error && subject.corrupt)
    return checkResult(name, 'schema', 'idle', 'skipped: the migration history cannot be read from a corrupt file (see integrity)');
  if (status.error) return fail(`cannot be read: ${status.error.message}`, `Fix what the message names, then run \`cairn status --store ${name}\`.`);
  if (status.edited.length) {
    details['edited'] = names(status.edited);
    return fail(
      `${plural(status.edited.length, 'applied migration')} edited since: ${names(status.edited)}`,
      `Restore ${status.edited.length === 1 ? 'the file as it was' : 'the files as they were'} applied (git log -p on the file shows it) and put the change in a new migration; migrate refuses until then.`,
    );
  }
  if (status.legacyChain) {
    return fail(
      `on a legacy chain: version ${status.current ?? 'none'} is below the baseline and the files between are gone`,
      `Move its rows to a fresh file at the current schema: cairn cutover --store ${name}.`,
    );
  }
  if (status.unmanaged) {
    return fail(
      `has app tables but no cairn history${status.foreignHistory ? ` (it carries ${status.foreignHistory}'s)` : ''}`,
      status.foreignHistory
        ? `Take the history over with \`cairn adopt --store ${name} --from ${status.foreignHistory}\`; migrate refuses until then.`
        : `Adopt the history another tool kept (cairn adopt), or move the rows into a fresh file (export → restore); migrate refuses until then.`,
    );
  }
  if (status.newerThanApp) {
    details['unknown'] = status.unknown.map((u) => `${u.version} ${u.name}${u.additive ? ' (additive)' : ''}`).join(', ');
    if (!status.unknown.every((u) => u.additive)) {
      return fail(
        `migrated by a newer release: ${plural(status.unknown.length, 'version')} this app does not know, not all additive`,
        'Upgrade the app to the release that migrated this file; this one refuses to open it.',
      );
    }
  }
  if (!subject.exists) {
    return checkResult(name, 'schema', 'idle', `${subject.absent}; ${plural(status.pending.length, 'migration')} will apply when it is created`, details);
  }
  const warnings: string[] = [];
  if (status.newerThanApp) warnings.push(`${plural(status.unknown.length, 'newer version')} from a newer release (all additive: this app runs on it)`);
  if (status.pending.length) {
    details['next'] = names(status.pending.slice(0, 5)) + (status.pending.length > 5 ? ', …' : '');
    warnings.push(`${plural(status.pending.length, 'migration')} pending`);
  }
  if (status.outOfOrder.length) warnings.push(`${names(status.outOfOrder)} numbered below the newest applied version`);
  if (status.missing.length) {
    details['missing'] = names(status.missing);
    warnings.push(`${plural(status.missing.length, 'applied migration')} no longer on disk`);
  }
  if (warnings.length) {
    const remedy = status.outOfOrder.length
      ? `Renumber ${names(status.outOfOrder)} above ${status.current}, or apply with \`${migrate} --allow-out-of-order\`.`
      : status.pending.length
        ? `Run \`${migrate}\` (or start the app: openStores applies them).`
        : status.missing.length
          ? `Restore the missing ${status.missing.length === 1 ? 'file' : 'files'} to ${subject.migrations ?? 'the migrations folder'}: without ${status.missing.length === 1 ? 'it this app cannot revert that version' : 'them this app cannot revert those versions'}.`
          : 'Nothing to do unless this app is meant to be the newest release.';
    return warn(warnings.join('; '), remedy);
  }
  return checkResult(name, 'schema', 'ok', `at version ${status.current ?? 'none'}, up to date`, details);
}
