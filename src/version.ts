import { createRequire } from 'node:module';

/** cairn's own version, from its package.json (reports and snapshots record it). */
export const CAIRN_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
