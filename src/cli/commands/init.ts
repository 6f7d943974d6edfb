import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { styleFor, writeJson, type Io } from '../io.js';

export function registerInit(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('init')
    .description('scaffold cairn in this folder: a config with one store, its migrations folder and a first migration (never overwrites)')
    .option('--store <name>', "the first store's name", 'app')
    .option('--ts', 'write a typed cairn.config.ts (defineStores) instead of cairn.config.json')
    .option('--json', 'print one JSON document')
    .action(async (opts: { store: string; ts?: boolean; json?: boolean }) => {
      const { scaffoldApp } = await import('../../scaffold/init.js');
      const result = scaffoldApp({ dir: io.cwd, store: opts.store, ts: opts.ts });
      if (opts.json) writeJson(io, 'init', result);
      else {
        const s = styleFor(io.stdout, io.env);
        const width = Math.max(...result.next.map((n) => n.command.length));
        const lines = [
          ...result.created.map((file) => `${s.ok} created ${file}`),
          '',
          'next:',
          ...result.next.map((n) => `  ${n.command.padEnd(width)}  ${s.dim(n.why)}`),
        ];
        io.stdout.write(`${lines.join('\n')}\n`);
      }
      done(EXIT.ok);
    });
}
