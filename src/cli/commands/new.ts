import type { Command } from 'commander';
import { CairnError } from '../../errors.js';
import { isPostgresStore, selectAnyStores } from '../../config/stores.js';
import { loadRegistry, type GlobalFlags } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { writeJson, type Io } from '../io.js';
import { plural } from '../../words.js';

export function registerNew(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('new')
    .description("create the store's next migration file from a goose-annotated template")
    .argument('<name>', 'what the migration does, e.g. add_goal_priority')
    .option('--store <name>', 'the store (needed when there are several)')
    .option('--ts', 'write a TypeScript migration (export function up(db, ctx)) instead of SQL; SQLite stores only')
    .option('--json', 'print one JSON document')
    .action(async (name: string, opts: { store?: string; ts?: boolean; json?: boolean }) => {
      const { createMigrationFile } = await import('../../migrations/new-file.js');
      const stores = selectAnyStores(await loadRegistry(io, program.opts<GlobalFlags>()), opts.store ? [opts.store] : undefined);
      if (stores.length !== 1)
        throw new CairnError('E_USAGE', `new needs --store: this config has ${plural(stores.length, 'store')} (${stores.map((s) => s.name).join(', ')})`);
      const store = stores[0]!;
      if (!store.migrations) throw new CairnError('E_USAGE', `store ${store.name} declares no migrations folder; add "migrations" to it in the config`);
      if (opts.ts && isPostgresStore(store)) {
        throw new CairnError(
          'E_USAGE',
          `store ${store.name} is on PostgreSQL, where migrations are SQL files; code migrations (--ts) run on SQLite stores only`,
        );
      }
      const created = createMigrationFile(store.migrations, name, { ts: opts.ts });
      if (opts.json) writeJson(io, 'new', { store: store.name, ...created });
      else io.stdout.write(`${created.file}\n`);
      done(EXIT.ok);
    });
}
