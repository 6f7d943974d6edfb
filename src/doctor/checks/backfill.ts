import type { BackfillStatusEntry } from '../../backfill/status.js';
import { plural } from '../format.js';
import type { StoreContext } from '../inspect.js';
import type { DoctorCheck } from '../types.js';
import { checkResult } from './result.js';

/** Each backfill job of the store: complete, running, interrupted or never run, and what it rejected. */
export function backfillCheck(
  ctx: Pick<StoreContext, 'store'> | { store: { name: string } },
  jobs: readonly BackfillStatusEntry[] | { error: string },
): DoctorCheck {
  const name = ctx.store.name;
  if ('error' in jobs) return checkResult(name, 'backfill', 'idle', `skipped: ${jobs.error}`);
  if (jobs.length === 0) return checkResult(name, 'backfill', 'idle', 'no backfill jobs');
  const details: Record<string, string> = {};
  const remedies: string[] = [];
  let warn = false;
  for (const job of jobs) {
    const extra = [
      job.rejected ? `${plural(job.rejected, 'rejected line')}${job.rejectsFile ? ` in ${job.rejectsFile}` : ''}` : '',
      job.itemsFailed ? `${plural(job.itemsFailed, 'unreadable item')}` : '',
    ].filter(Boolean);
    details[job.job] = `${job.phase}: ${job.reason}${extra.length ? ` · ${extra.join(' · ')}` : ''}`;
    if (job.phase === 'interrupted') {
      warn = true;
      remedies.push(`run \`cairn backfill ${job.job}\` (or start the app) to resume ${job.job}`);
    }
    if (job.rejected) {
      warn = true;
      remedies.push(
        `read ${job.rejectsFile ?? 'the rejects file'}: each rejected line names its file, line and reason; fix the source and run \`cairn backfill ${job.job} --refresh\``,
      );
    }
    if (job.itemsFailed) {
      warn = true;
      remedies.push(`\`cairn backfill --status ${job.job}\` lists the unreadable items; the next run retries them`);
    }
  }
  const complete = jobs.filter((j) => j.phase === 'complete').length;
  const running = jobs.filter((j) => j.phase === 'running').length;
  const pending = jobs.filter((j) => j.phase === 'pending').length;
  const status = warn ? 'warn' : complete === 0 && running === 0 ? 'idle' : 'ok';
  const rejected = jobs.reduce((n, j) => n + j.rejected, 0);
  const parts = [
    `${complete}/${jobs.length} complete`,
    running ? `${running} running` : '',
    pending ? `${pending} not finished` : '',
    jobs.some((j) => j.phase === 'interrupted') ? `${jobs.filter((j) => j.phase === 'interrupted').length} interrupted` : '',
    rejected ? plural(rejected, 'rejected line') : '',
  ].filter(Boolean);
  return checkResult(name, 'backfill', status, parts.join(' · '), details, remedies.length ? capitalize(remedies.join('; ')) + '.' : null);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
