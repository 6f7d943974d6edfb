import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CairnError, errorMessage } from '../errors.js';
import { defineStores, isStoreRegistry, unresolvedConfigOf, type StoreRegistry } from './stores.js';

export const CONFIG_NAMES = ['cairn.config.json', 'cairn.config.mjs', 'cairn.config.js', 'cairn.config.ts', 'cairn.config.mts'] as const;

/** The nearest cairn.config.* from `from` upward, or null. */
export function findConfig(from: string = process.cwd()): string | null {
  let dir = path.resolve(from);
  for (;;) {
    for (const name of CONFIG_NAMES) {
      const candidate = path.join(dir, name);
      if (fs.existsSync(candidate)) return candidate;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export interface LoadConfigOptions {
  /** An explicit config path (`--config`); otherwise searched from `cwd` upward. */
  configPath?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Loads and resolves the config. JSON is parsed; .mjs/.js are imported; .ts
 * goes through jiti, since Node 20 cannot import TypeScript. Relative paths
 * resolve against the config file's folder.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<StoreRegistry> {
  const cwd = options.cwd ?? process.cwd();
  const file = options.configPath ? path.resolve(cwd, options.configPath) : findConfig(cwd);
  if (!file) {
    throw new CairnError(
      'E_CONFIG',
      `no cairn config found in ${cwd} or any folder above it; create cairn.config.json (see the README), or pass --config PATH`,
      { cwd },
    );
  }
  if (!fs.existsSync(file)) throw new CairnError('E_CONFIG', `${file}: config file not found`, { file });
  const raw = await readConfigModule(file);
  const root = path.dirname(file);
  const env = options.env ?? process.env;
  if (isStoreRegistry(raw)) {
    // `export default defineStores({…})` ran as the module loaded, against the working directory: resolve it again from here.
    const declared = unresolvedConfigOf(raw);
    return declared ? defineStores(declared, { root, env, configFile: file }) : { ...raw, configFile: file };
  }
  return defineStores(raw as never, { root, env, configFile: file });
}

async function readConfigModule(file: string): Promise<unknown> {
  try {
    if (file.endsWith('.json')) {
      const text = fs.readFileSync(file, 'utf8');
      try {
        return JSON.parse(text);
      } catch (error) {
        throw new CairnError('E_CONFIG', `${file}: not valid JSON: ${errorMessage(error)}`, { file }, { cause: error });
      }
    }
    const mod = (await importModule(file)) as { default?: unknown };
    return mod.default ?? mod;
  } catch (error) {
    if (error instanceof CairnError) throw error;
    throw new CairnError('E_CONFIG', `${file}: could not load config: ${errorMessage(error)}`, { file }, { cause: error });
  }
}

/**
 * Refuses to run code another user could have written: a config, plan, job
 * or migration module owned by another user (root aside), writable by
 * everyone, or writable by a group that is not the user's own. The upward config search would otherwise run a
 * cairn.config.mjs planted in a shared folder (/tmp) as whoever types
 * `cairn` below it. As git's safe.directory: CAIRN_TRUST_CODE=1 lifts it.
 */
export function assertSafeToRun(file: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env.CAIRN_TRUST_CODE === '1' || typeof process.getuid !== 'function') return;
  const stat = fs.statSync(file);
  const uid = process.getuid();
  const why =
    stat.uid !== uid && stat.uid !== 0
      ? `it belongs to another user (uid ${stat.uid}; you are ${uid})`
      : (stat.mode & 0o002) !== 0
        ? `every user can change it (mode 0${(stat.mode & 0o777).toString(8)})`
        : // A group-writable file is fine when the group is the user's own (umask 002 with a private group); another group's members could edit it.
          (stat.mode & 0o020) !== 0 && stat.gid !== process.getgid?.()
          ? `members of group ${stat.gid} can change it (mode 0${(stat.mode & 0o777).toString(8)})`
          : null;
  if (why) {
    throw new CairnError(
      'E_CONFIG',
      `${file}: refusing to run it: ${why}, so running it would run someone else's code as you. Make it yours (chown, chmod go-w), or set CAIRN_TRUST_CODE=1 if you trust it`,
      { file },
    );
  }
}

/** Imports a .mjs/.js/.ts module (plans, jobs and configs all load through here); see assertSafeToRun. */
export async function importModule(file: string, options: { version?: string } = {}): Promise<unknown> {
  assertSafeToRun(file);
  if (/\.(c|m)?ts$/.test(file)) {
    const { createJiti } = await import('jiti');
    const jiti = createJiti(import.meta.url, { moduleCache: false });
    return jiti.import(file);
  }
  // Node caches an ES module by URL for the life of the process; a version in the query loads the file as it is now.
  const url = pathToFileURL(file);
  if (options.version) url.searchParams.set('v', options.version);
  return import(url.href);
}
