import type { Command } from 'commander';
import { Option } from '../commander.js';
import { ADOPT_SOURCES, type AdoptSource } from '../../adopt/sources.js';
import { selectAnyStores } from '../../config/stores.js';
import { loadRegistry, type GlobalFlags } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { styleFor, writeJson, type Io } from '../io.js';

export function registerAdopt(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('adopt')
    .description("take over a DB another tool migrated: map its history onto the store's files and write cairn's (its table is left in place)")
    .requiredOption('--store <name>', 'the store whose DB to adopt')
    .addOption(new Option('--from <tool>', 'the tool whose history the DB carries').choices([...ADOPT_SOURCES]).makeOptionMandatory())
    .option('--dry-run', 'show the mapping; write nothing')
    .option('--json', 'print one JSON document')
    .action(async (opts: { store: string; from: AdoptSource; dryRun?: boolean; json?: boolean }) => {
      const { renderAdopt } = await import('../render-schema.js');
      const [store] = selectAnyStores(await loadRegistry(io, program.opts<GlobalFlags>()), [opts.store]);
      const options = { from: opts.from, dryRun: opts.dryRun, env: io.env };
      const result = await (await import('../../adopt/adopt.js')).adoptStore(store!, options);
      if (opts.json) writeJson(io, 'adopt', { ok: true, ...result });
      else io.stdout.write(renderAdopt(result, styleFor(io.stdout, io.env)));
      done(EXIT.ok);
    });
}
