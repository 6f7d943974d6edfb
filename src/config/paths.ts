import os from 'node:os';
import path from 'node:path';

/**
 * `~` and `~/…` as the user's home directory, as a shell would. Kept apart
 * from the config schema so the import worker and backfill load it without
 * loading the validator.
 */
export function expandTilde(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}
