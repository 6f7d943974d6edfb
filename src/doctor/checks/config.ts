import fs from 'node:fs';
import type { StoreRegistry } from '../../config/stores.js';
import type { DeclaredJobs } from '../../backfill/status.js';
import { plural } from '../format.js';
import type { DoctorCheck } from '../types.js';
import { checkResult } from './result.js';

/** The registry itself: which config, which home, which stores; and job modules that do not load. */
export function configCheck(registry: StoreRegistry, jobs: DeclaredJobs): DoctorCheck {
  const details: Record<string, string | number> = {
    config: registry.configFile ?? '(passed in code)',
    home: registry.home + (fs.existsSync(registry.home) ? '' : ' (does not exist yet)'),
    stores: [...registry.stores.map((s) => s.name), ...(registry.postgres ?? []).map((s) => `${s.name} (PostgreSQL)`)].join(', '),
  };
  const broken = [...jobs].filter((entry): entry is [string, { error: string }] => 'error' in entry[1]);
  for (const [name, job] of broken) details[`backfill ${name}`] = job.error;
  const summary = `${plural(registry.stores.length + (registry.postgres ?? []).length, 'store')}${jobs.size ? `, ${plural(jobs.size, 'backfill job')}` : ''}`;
  if (broken.length) {
    return checkResult(
      null,
      'config',
      'warn',
      `${summary}; ${plural(broken.length, 'job module')} cannot be loaded`,
      details,
      `Fix ${broken.length === 1 ? 'the module' : 'the modules'} named under "backfills" in ${registry.configFile ?? 'the config'}; those jobs cannot run until then.`,
    );
  }
  return checkResult(null, 'config', 'ok', summary, details);
}
