import type { Command } from 'commander';
import { CairnError } from '../../errors.js';
import { selectAnyStores } from '../../config/stores.js';
import { loadRegistry, type GlobalFlags } from '../context.js';
import { plural } from '../../words.js';
import type { Io } from '../io.js';
import { runMigrations } from './migrate.js';

interface RedoFlags {
  store?: string;
  json?: boolean;
  dryRun?: boolean;
  backup: boolean;
  force?: boolean;
  expandEnv?: boolean;
}

export function registerRedo(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('redo')
    .description(
      'revert the newest applied migration and apply it again, for the file you are writing; when you edited it since, it is reverted with the Down it was applied with',
    )
    .option('--store <name>', 'the store (needed when there are several)')
    .option('--json', 'print one JSON document')
    .option('--dry-run', 'print the plan and the SQL; write nothing')
    .option('--no-backup', 'do not copy the DB before changing it')
    .option('--force', 'run it even when the lint says the file will fail or lose data')
    .option('--expand-env', 'show ENVSUB values in the printed statements')
    .action(async (opts: RedoFlags) => {
      const registry = await loadRegistry(io, program.opts<GlobalFlags>());
      const stores = selectAnyStores(registry, opts.store ? [opts.store] : undefined);
      if (stores.length !== 1)
        throw new CairnError('E_USAGE', `redo needs --store: this config has ${plural(stores.length, 'store')} (${stores.map((s) => s.name).join(', ')})`);
      const options = { redo: true, backup: opts.backup, force: opts.force, expandEnv: opts.expandEnv, env: io.env, stores: selectAnyStores(registry) };
      done(await runMigrations(io, stores, options, opts));
    });
}
