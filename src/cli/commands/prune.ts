import type { Command } from 'commander';
import { declaresRetention, selectStores } from '../../config/stores.js';
import { CairnError } from '../../errors.js';
import { loadRegistry, type GlobalFlags } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { styleFor, writeJson, type Io } from '../io.js';

export function registerPrune(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('prune')
    .description("delete what each store's declared retention no longer keeps (old rows of log-like tables), in short batches beside a running app")
    .option('--store <name...>', 'only these stores (default: every store that declares retention)')
    .option('--dry-run', 'count what would be deleted; delete nothing')
    .option('--json', 'print one JSON document')
    .action(async (opts: { store?: string[]; dryRun?: boolean; json?: boolean }) => {
      const { pruneStore } = await import('../../retention/prune.js');
      const { renderPrune } = await import('../render-prune.js');
      const registry = await loadRegistry(io, program.opts<GlobalFlags>());
      const stores = selectStores(registry, opts.store).filter((s) => opts.store || declaresRetention(s));
      // A store named on purpose that keeps everything is a mistake to say, not a silent "nothing to do".
      const without = stores.filter((s) => !declaresRetention(s)).map((s) => s.name);
      if (without.length > 0) {
        throw new CairnError(
          'E_USAGE',
          `${without.join(', ')} declare${without.length === 1 ? 's' : ''} no retention; add "retention" to the store in the config`,
          {
            stores: without,
          },
        );
      }
      const results = [];
      for (const store of stores) results.push(await pruneStore(store, { dryRun: opts.dryRun }));
      if (opts.json) writeJson(io, 'prune', { ok: true, dryRun: Boolean(opts.dryRun), stores: results });
      else io.stdout.write(renderPrune(results, styleFor(io.stdout, io.env)));
      done(EXIT.ok);
    });
}
