import fs from 'node:fs';
import path from 'node:path';
import { CairnError, errorMessage } from '../errors.js';
import { importModule } from './load.js';

/** What kind of module a config section names: import plans, backfill jobs. */
export interface ModuleKind<T> {
  /** The config key that names them: `imports`, `backfills`. */
  section: string;
  /** In messages: `import plan`, `backfill job`. */
  noun: string;
  /** How the default export is made, for the message when it is not. */
  expected: string;
  is: (value: unknown) => value is T;
}

/** A module file's name without its extension: `imports/legacy.mjs` → `legacy`. */
export function moduleNameOf(file: string): string {
  return path.basename(file).replace(/\.(c|m)?(j|t)s$/, '');
}

/** Finds a module by its name in a config section (relative to the config's folder), else as a path from `cwd`. */
export function resolveModule(
  declared: Record<string, string>,
  root: string,
  nameOrPath: string,
  cwd: string,
  kind: ModuleKind<unknown>,
): { name: string; file: string } {
  const named = declared[nameOrPath];
  if (named) return { name: nameOrPath, file: path.resolve(root, named) };
  const file = path.resolve(cwd, nameOrPath);
  if (fs.existsSync(file)) return { name: moduleNameOf(file), file };
  const known = Object.keys(declared);
  throw new CairnError(
    'E_PLAN',
    `no ${kind.noun} ${JSON.stringify(nameOrPath)}: not a name in the config's "${kind.section}" (${known.length ? known.join(', ') : 'none declared'}) nor an existing file`,
    { name: nameOrPath },
  );
}

/** Loads a module (.mjs/.js, or .ts through jiti) and checks its default export. */
export async function loadDefaultExport<T>(file: string, kind: ModuleKind<T>): Promise<T> {
  let mod: { default?: unknown };
  try {
    mod = (await importModule(file)) as { default?: unknown };
  } catch (error) {
    throw new CairnError('E_PLAN', `${file}: the ${kind.noun} could not be loaded: ${errorMessage(error)}`, { file }, { cause: error });
  }
  const value = mod.default ?? mod;
  if (!kind.is(value)) throw new CairnError('E_PLAN', `${file}: expected a default export made with ${kind.expected}`, { file });
  return value;
}
