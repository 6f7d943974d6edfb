import type { Command } from 'commander';
import { InvalidArgumentError, Option } from '../commander.js';
import { CairnError } from '../../errors.js';
import type { RecoverChoice } from '../../migrations/interrupted.js';
import type { MigrateOptions, MigrateResult } from '../../migrations/migrator.js';
import { isPostgresStore, selectAnyStores, type PostgresStore, type ResolvedStore } from '../../config/stores.js';
import { loadRegistry, type GlobalFlags } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { showsProgress, styleFor, writeJson, type Io } from '../io.js';
import type { progressBar as ProgressBarFn } from '../progress.js';
import { plural } from '../../words.js';

interface MigrateFlags {
  store?: string[];
  json?: boolean;
  dryRun?: boolean;
  to?: number;
  allowOutOfOrder?: boolean;
  backup: boolean;
  force?: boolean;
  recover?: RecoverChoice;
  expandEnv?: boolean;
  acceptEdit?: number[];
}

export function registerMigrate(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('migrate')
    .description('apply pending migrations to every store (or --store), each file in its own transaction')
    .option('--store <name...>', 'only these stores (default: all)')
    .option('--json', 'print one JSON document')
    .option('--dry-run', 'print the plan and the SQL; write nothing')
    .option('--to <version>', 'migrate up or down to this version (needs --store when there are several)', parseVersion)
    .option('--allow-out-of-order', 'apply files numbered below the newest applied one')
    .option('--no-backup', 'do not copy the DB before changing it')
    .option('--force', 'apply files the lint says will fail or lose data (error-level findings; see cairn lint)')
    .option('--expand-env', 'show ENVSUB values in the printed statements (default: ${NAME} as the file writes it, so secrets stay off the screen)')
    .option(
      '--accept-edit <version...>',
      'record these applied files as they are now, after you made sure the DB matches them; the old checksum is kept in cairn_accepted_edits (needs --store when there are several)',
      collectVersions,
    )
    .addOption(
      new Option(
        '--recover <how>',
        'after a NO TRANSACTION file was interrupted: restore (put back the copy taken before it), rerun (run it again), or resume (go on from the statement that did not run)',
      ).choices(['restore', 'rerun', 'resume']),
    )
    .action(async (opts: MigrateFlags) => {
      const registry = await loadRegistry(io, program.opts<GlobalFlags>());
      const stores = selectAnyStores(registry, opts.store);
      const oneStore = (flag: string, why: string): void => {
        if (stores.length > 1)
          throw new CairnError(
            'E_USAGE',
            `${flag} needs --store: ${why}; this config has ${plural(stores.length, 'store')} (${stores.map((s) => s.name).join(', ')})`,
          );
      };
      if (opts.to !== undefined) oneStore('--to', 'versions are per store');
      if (opts.recover) oneStore('--recover', "it applies to one store's interrupted file");
      if (opts.acceptEdit) oneStore('--accept-edit', 'versions are per store');
      const options = {
        to: opts.to,
        allowOutOfOrder: opts.allowOutOfOrder,
        backup: opts.backup,
        force: opts.force,
        recover: opts.recover,
        expandEnv: opts.expandEnv,
        acceptEdits: opts.acceptEdit,
        env: io.env,
        stores: selectAnyStores(registry),
      };
      done(await runMigrations(io, stores, options, opts));
    });
}

/**
 * Plans every store as a dry run first, so a refusal or a lint error anywhere
 * writes nothing anywhere; then (unless --dry-run) migrates them in order,
 * stopping at the first failure. Prints the results; returns the exit code.
 * `migrate` and `redo` both run through it.
 */
export async function runMigrations(
  io: Io,
  stores: readonly (ResolvedStore | PostgresStore)[],
  options: Omit<MigrateOptions, 'dryRun' | 'onStep' | 'onMove'>,
  flags: { dryRun?: boolean; force?: boolean; json?: boolean },
): Promise<number> {
  const { assertLintClean, reportOf } = await import('../../lint/report.js');
  const { migrateStore } = await import('../../migrations/migrator.js');
  const { renderMigrate } = await import('../render-migrations.js');
  // The PostgreSQL engine (and the pg client) load only when such a store is in play.
  const { migratePostgres } = stores.some(isPostgresStore) ? await import('../../postgres/migrate.js') : ({} as never);
  const plans = stores.map((store) =>
    // A real run does not lint a fresh PostgreSQL store (nothing there to damage), so neither does its check first.
    isPostgresStore(store)
      ? migratePostgres(store, { ...options, dryRun: true, lintFresh: Boolean(flags.dryRun) })
      : migrateStore(store, { ...options, dryRun: true }),
  );
  let results: MigrateResult[] = await Promise.all(plans);
  if (!flags.dryRun && !flags.force) for (const r of results) assertLintClean(reportOf(r.store, r.file, [], r.lint));
  if (!flags.dryRun) {
    const planned = new Map(results.map((r) => [r.store, r.planned.length]));
    // cli-progress loads only when a bar will be drawn: a migrate in a script or at deploy never pays for it.
    const bars = showsProgress(io, flags.json) ? (await import('../progress.js')).progressBar : null;
    results = [];
    for (const store of stores) {
      const steps = stepReporter(io, store.name, planned.get(store.name) ?? 0, bars);
      try {
        results.push(
          isPostgresStore(store)
            ? await migratePostgres(store, { ...options, onStep: steps.onStep })
            : await migrateStore(store, { ...options, onStep: steps.onStep, onMove: steps.onMove }),
        );
      } finally {
        steps.stop();
      }
      if (results.at(-1)?.failed) break;
    }
  }
  const failed = results.some((r) => r.failed);
  if (flags.json) writeJson(io, options.redo ? 'redo' : 'migrate', { ok: !failed, dryRun: Boolean(flags.dryRun), stores: results });
  else io.stdout.write(renderMigrate(results, styleFor(io.stdout, io.env)));
  return failed ? EXIT.failed : EXIT.ok;
}

/**
 * What a migration run shows as it goes: on a terminal, a bar of steps
 * (which file, and a moved table's rows); elsewhere, a line per step and per
 * move phase on stderr, as logs want it.
 */
function stepReporter(io: Io, store: string, total: number, progressBar: typeof ProgressBarFn | null) {
  const bar = progressBar && total > 0 ? progressBar(io, total, ` ${store} {bar} {value}/{total} steps | {step}`) : null;
  let started = 0;
  return {
    onStep: ({ phase, step }: { phase: 'start' | 'done'; step: { kind: string; name: string } }): void => {
      if (phase === 'done') bar?.update(started, { step: `${step.kind} ${step.name}` });
      if (phase !== 'start') return;
      started += 1;
      if (bar) bar.update(started - 1, { step: `${step.kind} ${step.name}` });
      else io.stderr.write(`cairn: ${store}: ${step.kind} ${step.name}\n`);
    },
    onMove: (event: { table: string; from: string; phase: string; rows: number }): void => {
      if (bar) bar.update(Math.max(started - 1, 0), { step: `move ${event.table} from ${event.from}: ${plural(event.rows, 'row')} here` });
      else io.stderr.write(`cairn: ${store}: move ${event.table} from ${event.from}: ${event.phase} (${plural(event.rows, 'row')} here)\n`);
    },
    stop: (): void => bar?.stop(),
  };
}

export function parseVersion(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected a migration version (a whole number)');
  return Number(value);
}

function collectVersions(value: string, previous: number[] | undefined): number[] {
  return [...(previous ?? []), parseVersion(value)];
}
