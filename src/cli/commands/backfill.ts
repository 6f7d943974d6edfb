import type { Command } from 'commander';
import { CairnError } from '../../errors.js';
import { loadRegistry, type GlobalFlags, fromCwd } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { interruptible } from '../interrupt.js';
import { styleFor, writeJson, type Io } from '../io.js';

interface BackfillFlags {
  status?: boolean;
  json?: boolean;
  refresh?: boolean;
  from?: string;
  migrate?: boolean;
  rejects?: string;
}

export function registerBackfill(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('backfill')
    .description('run a backfill job until it is complete (resumable; safe to kill), or show every job with --status')
    .argument('[job]', 'a job name from the config\'s "backfills", or a job file (.mjs/.js/.ts)')
    .option('--status', "show every job of every store (or just [job]'s): complete, running, interrupted or pending, and why")
    .option('--refresh', 'also look at items already done: new files in any order, grown files from their offset, rewritten ones again')
    .option('--from <dir>', "folder the job's item globs resolve against (default: the stores' home)")
    .option('--migrate', 'apply pending migrations to the target first instead of refusing')
    .option('--rejects <file>', 'where rejected lines go (default: <home>/backfill-<job>.rejects.jsonl)')
    .option('--json', 'print one JSON document')
    .action(async (jobArg: string | undefined, opts: BackfillFlags) => {
      const { resolveJobPath, runBackfill } = await import('../../backfill/run.js');
      const { backfillStatus } = await import('../../backfill/status.js');
      const { progressBar } = await import('../progress.js');
      const { renderBackfill, renderBackfillStatus } = await import('../render-backfill.js');
      const registry = await loadRegistry(io, program.opts<GlobalFlags>());
      const style = styleFor(io.stdout, io.env);
      if (opts.status) {
        const jobs = await backfillStatus(registry, { job: jobArg, env: io.env });
        if (opts.json) writeJson(io, 'backfill-status', { ok: jobs.every((j) => j.complete && j.itemsFailed === 0), jobs });
        else io.stdout.write(renderBackfillStatus(jobs, style));
        done(EXIT.ok);
        return;
      }
      if (!jobArg) {
        const known = Object.keys(registry.backfills);
        throw new CairnError('E_USAGE', `name a backfill job (${known.length ? known.join(', ') : 'none declared in the config'}) or pass --status`);
      }
      const located = resolveJobPath(registry, jobArg, io.cwd);
      let bar: ReturnType<typeof progressBar> | null = null;
      const started = performance.now();
      const stop = interruptible(io, `backfill ${located.name}`);
      const result = await runBackfill(registry, {
        signal: stop.signal,
        job: located.file,
        name: located.name,
        from: fromCwd(io, opts.from),
        refresh: opts.refresh,
        migrate: opts.migrate,
        rejectsFile: fromCwd(io, opts.rejects),
        env: io.env,
        onProgress: (p) => {
          bar ??= progressBar(
            io,
            p.itemsTotal,
            ' {bar} {percentage}% | {value}/{total} items | {rows} rows | {rate} rows/s | {rejected} rejected | ETA {eta_formatted}',
            {
              json: opts.json,
            },
          );
          const seconds = (performance.now() - started) / 1000;
          bar.update(p.itemsDone, { rows: p.rows, rate: seconds > 0 ? Math.round(p.rows / seconds) : 0, rejected: p.rejected });
        },
      }).finally(() => {
        (bar as { stop(): void } | null)?.stop();
        stop.dispose();
      });
      const code = result.outcome === 'busy' ? EXIT.refused : result.rejected > 0 || result.items.failed > 0 ? EXIT.failed : EXIT.ok;
      if (opts.json) writeJson(io, 'backfill', { ok: code === EXIT.ok && result.outcome !== 'stopped', ...result });
      else io.stdout.write(renderBackfill(result, style));
      if (result.outcome === 'stopped' && stop.stoppedBy) {
        io.stderr.write(`cairn: backfill ${located.name} stopped at a checkpoint; run the same command again to resume from it\n`);
      }
      done(result.outcome === 'stopped' ? stop.exitCode(code) : code);
    });
}
