import type { Command } from 'commander';
import { InvalidArgumentError } from '../commander.js';
import type { ImportMode } from '../../importers/define.js';
import { loadRegistry, type GlobalFlags, fromCwd } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { interruptible } from '../interrupt.js';
import { styleFor, writeJson, type Io } from '../io.js';

interface ImportFlags {
  from?: string;
  dryRun?: boolean;
  json?: boolean;
  migrate?: boolean;
  mode?: ImportMode;
  rejects?: string;
}

export function registerImport(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('import')
    .description('port legacy flat files into a store with an import plan (offline; safe to re-run)')
    .argument('<plan>', 'a plan name from the config\'s "imports", or a plan file (.mjs/.js/.ts)')
    .option('--from <dir>', "folder holding the legacy files (default: the stores' home)")
    .option('--dry-run', 'read, map and validate everything against a scratch copy; write nothing')
    .option('--json', 'print one JSON summary')
    .option('--migrate', 'apply pending migrations to the target first instead of refusing')
    .option('--mode <mode>', 'insert (keep existing rows) or upsert (update rows whose values differ)', parseMode)
    .option('--rejects <file>', 'where rejected input goes (default: <home>/import-<plan>-<time>.rejects.jsonl)')
    .action(async (planArg: string, opts: ImportFlags) => {
      const { resolvePlanPath, runImport } = await import('../../importers/run.js');
      const { progressBar } = await import('../progress.js');
      const { renderImport } = await import('../render-import.js');
      const registry = await loadRegistry(io, program.opts<GlobalFlags>());
      const plan = resolvePlanPath(registry, planArg, io.cwd);
      let bar: ReturnType<typeof progressBar> | null = null;
      const stop = interruptible(io, `import ${plan.name}`);
      const summary = await runImport(registry, {
        signal: stop.signal,
        plan: plan.file,
        name: plan.name,
        from: fromCwd(io, opts.from),
        dryRun: opts.dryRun,
        migrate: opts.migrate,
        mode: opts.mode,
        rejectsFile: fromCwd(io, opts.rejects),
        env: io.env,
        onProgress: (p) => {
          bar ??= progressBar(io, p.bytesTotal, ' {bar} {percentage}% | {records} records | {rows} rows | {rejected} rejected | ETA {eta_formatted}', {
            json: opts.json,
          });
          bar.update(p.bytesDone, { records: p.records, rows: p.rowsWritten, rejected: p.rejected });
        },
      }).finally(() => {
        (bar as { stop(): void } | null)?.stop();
        stop.dispose();
      });
      if (opts.json) writeJson(io, 'import', { ok: summary.rejected === 0 && !summary.stopped, ...summary });
      else io.stdout.write(renderImport(summary, styleFor(io.stdout, io.env)));
      if (summary.stopped)
        io.stderr.write(
          `cairn: import ${plan.name} stopped; what is written stays. Run the same command again to finish: rows already imported count as already present\n`,
        );
      done(stop.exitCode(summary.rejected > 0 ? EXIT.failed : EXIT.ok));
    });
}

function parseMode(value: string): ImportMode {
  if (value !== 'insert' && value !== 'upsert') throw new InvalidArgumentError('expected insert or upsert');
  return value;
}
