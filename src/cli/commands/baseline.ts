import type { Command } from 'commander';
import path from 'node:path';
import { loadRegistry, type GlobalFlags } from '../context.js';
import { isPostgresStore, selectAnyStores } from '../../config/stores.js';
import { EXIT } from '../exit-codes.js';
import { styleFor, writeJson, type Io } from '../io.js';

export function registerBaseline(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('baseline')
    .description("squash: write one SQL file that re-creates a fully migrated store's schema, stamped with its version (checked before it is written)")
    .requiredOption('--store <name>', 'the store to take it from')
    .option('--out <file>', 'where to write it (default: <migrations folder>.baseline.sql, or the configured baseline file)')
    .option('--force', 'replace a file already there')
    .option('--dry-run', 'print the file; write nothing')
    .option('--json', 'print one JSON document')
    .action(async (opts: { store: string; out?: string; force?: boolean; dryRun?: boolean; json?: boolean }) => {
      const { renderBaseline } = await import('../render-schema.js');
      const registry = await loadRegistry(io, program.opts<GlobalFlags>());
      const [store] = selectAnyStores(registry, [opts.store]);
      const out = opts.out ? path.resolve(io.cwd, opts.out) : undefined;
      const options = { out, force: opts.force, dryRun: opts.dryRun, env: io.env };
      const result = isPostgresStore(store!)
        ? await (await import('../../postgres/baseline.js')).writePostgresBaseline(store, { ...options, root: registry.root })
        : (await import('../../schema/write-baseline.js')).writeBaseline(store!, options);
      // The config names files relative to its own folder.
      const config = { file: path.relative(registry.root, result.config.file).split(path.sep).join('/'), version: result.config.version };
      if (opts.json) writeJson(io, 'baseline', { ok: true, ...result, config });
      else if (opts.dryRun) io.stdout.write(result.text);
      else io.stdout.write(renderBaseline({ ...result, config }, styleFor(io.stdout, io.env)));
      done(EXIT.ok);
    });
}
