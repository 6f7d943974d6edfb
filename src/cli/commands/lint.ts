import type { Command } from 'commander';
import { isPostgresStore, selectAnyStores } from '../../config/stores.js';
import { loadRegistry, type GlobalFlags } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { styleFor, writeJson, type Io } from '../io.js';

export function registerLint(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('lint')
    .description("check pending migrations (or --all) against the store's schema: what fails, what loses data, what to do instead (never writes)")
    .option('--store <name...>', 'only these stores (default: all)')
    .option('--all', 'every file a fresh database runs, from an empty schema, instead of the pending ones')
    .option('--json', 'print one JSON document')
    .action(async (opts: { store?: string[]; all?: boolean; json?: boolean }) => {
      const { lintStore } = await import('../../lint/store.js');
      const { renderLint } = await import('../render-migrations.js');
      const stores = selectAnyStores(await loadRegistry(io, program.opts<GlobalFlags>()), opts.store);
      const { lintPostgresStore } = stores.some(isPostgresStore) ? await import('../../postgres/lint-store.js') : ({} as never);
      const reports = await Promise.all(
        stores.map((store) =>
          isPostgresStore(store) ? lintPostgresStore(store, { all: opts.all, env: io.env }) : lintStore(store, { all: opts.all, env: io.env }),
        ),
      );
      const errors = reports.reduce((sum, r) => sum + r.errors, 0);
      if (opts.json) writeJson(io, 'lint', { ok: errors === 0, stores: reports });
      else io.stdout.write(renderLint(reports, styleFor(io.stdout, io.env)));
      done(errors > 0 ? EXIT.failed : EXIT.ok);
    });
}
