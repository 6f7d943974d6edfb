import type { Command } from 'commander';
import { InvalidArgumentError, Option } from '../commander.js';
import { CairnError } from '../../errors.js';
import type { RecoverChoice } from '../../migrations/interrupted.js';
import type { MigrateResult } from '../../migrations/migrator.js';
import { isPostgresStore, selectAnyStores } from '../../config/stores.js';
import { loadRegistry, type GlobalFlags } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { styleFor, writeJson, type Io } from '../io.js';
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
    .addOption(
      new Option('--recover <how>', 'after a NO TRANSACTION file was interrupted: restore (put back the copy taken before it) or rerun (run it again)').choices(
        ['restore', 'rerun'],
      ),
    )
    .action(async (opts: MigrateFlags) => {
      const { assertLintClean, reportOf } = await import('../../lint/report.js');
      const { migrateStore } = await import('../../migrations/migrator.js');
      const { renderMigrate } = await import('../render-migrations.js');
      const registry = await loadRegistry(io, program.opts<GlobalFlags>());
      const stores = selectAnyStores(registry, opts.store);
      // The PostgreSQL engine (and the pg client) load only when such a store is in play.
      const { migratePostgres } = stores.some(isPostgresStore) ? await import('../../postgres/migrate.js') : ({} as never);
      if (opts.to !== undefined && stores.length > 1) {
        throw new CairnError('E_USAGE', `--to needs --store: this config has ${plural(stores.length, 'store')} (${stores.map((s) => s.name).join(', ')})`);
      }
      if (opts.recover && stores.length > 1) throw new CairnError('E_USAGE', `--recover needs --store: it applies to one store's interrupted file`);
      const options = {
        to: opts.to,
        allowOutOfOrder: opts.allowOutOfOrder,
        backup: opts.backup,
        force: opts.force,
        recover: opts.recover,
        expandEnv: opts.expandEnv,
        env: io.env,
        stores: selectAnyStores(registry),
      };
      // Every store is checked before any is changed, so a refusal anywhere writes nothing anywhere.
      const plans = stores.map((store) =>
        // A real run does not lint a fresh PostgreSQL store (nothing there to damage), so neither does its check first.
        isPostgresStore(store)
          ? migratePostgres(store, { ...options, dryRun: true, lintFresh: Boolean(opts.dryRun) })
          : migrateStore(store, { ...options, dryRun: true }),
      );
      let results: MigrateResult[] = await Promise.all(plans);
      if (!opts.dryRun && !opts.force) for (const r of results) assertLintClean(reportOf(r.store, r.file, [], r.lint));
      if (!opts.dryRun) {
        results = [];
        for (const store of stores) {
          const onStep = ({ phase, step }: { phase: 'start' | 'done'; step: { kind: string; name: string } }): void => {
            if (phase === 'start') io.stderr.write(`cairn: ${store.name}: ${step.kind} ${step.name}\n`);
          };
          results.push(
            isPostgresStore(store)
              ? await migratePostgres(store, { ...options, onStep })
              : await migrateStore(store, {
                  ...options,
                  onStep,
                  onMove: (event) =>
                    io.stderr.write(`cairn: ${store.name}: move ${event.table} from ${event.from}: ${event.phase} (${plural(event.rows, 'row')} here)\n`),
                }),
          );
          if (results.at(-1)?.failed) break;
        }
      }
      const failed = results.some((r) => r.failed);
      if (opts.json) writeJson(io, { ok: !failed, dryRun: Boolean(opts.dryRun), stores: results });
      else io.stdout.write(renderMigrate(results, styleFor(io.stdout, io.env)));
      done(failed ? EXIT.failed : EXIT.ok);
    });
}

function parseVersion(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected a migration version (a whole number)');
  return Number(value);
}
