import type { Command } from 'commander';
import { loadRegistry, type GlobalFlags } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { showsProgress, styleFor, writeJson, type Io } from '../io.js';

export function registerDoctor(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('doctor')
    .description('check every store (file, permissions, locks, journal, integrity, foreign keys, schema, backfills, backups); never writes')
    .option('--store <name...>', 'only these stores (default: all)')
    .option('--summary', 'one line per check')
    .option('--full', 'run PRAGMA integrity_check instead of quick_check (slower: also compares each index with its table)')
    .option('--json', 'print the report as JSON (paths under the home directory shown as ~)')
    .action(async (opts: { store?: string[]; summary?: boolean; full?: boolean; json?: boolean }) => {
      const { runDoctor } = await import('../../doctor/run.js');
      const { renderDoctor } = await import('../render-doctor.js');
      const registry = await loadRegistry(io, program.opts<GlobalFlags>());
      // --full reads every page of every store: a bar says which store it is on (a terminal only, as every bar).
      const bar = opts.full && showsProgress(io, opts.json) ? await storesBar(io) : null;
      const report = await runDoctor(registry, { stores: opts.store, full: opts.full, env: io.env, onStore: bar?.update }).finally(() => bar?.stop());
      if (opts.json) writeJson(io, 'doctor', report);
      else io.stdout.write(renderDoctor(report, styleFor(io.stdout, io.env), { summary: opts.summary }));
      done(report.overallStatus === 'fail' ? EXIT.failed : EXIT.ok);
    });
}

/** A bar of stores checked, drawn once the count is known. */
async function storesBar(io: Io): Promise<{ update(e: { store: string; index: number; total: number }): void; stop(): void }> {
  const { progressBar } = await import('../progress.js');
  let bar: ReturnType<typeof progressBar> | null = null;
  return {
    update: (e) => {
      bar ??= progressBar(io, e.total, ' {bar} {value}/{total} stores | checking {store}');
      bar.update(e.index, { store: e.store });
    },
    stop: () => bar?.stop(),
  };
}
