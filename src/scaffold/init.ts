import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_NAMES } from '../config/load.js';
import { CairnError } from '../errors.js';

export interface InitOptions {
  /** The folder to scaffold (the app's root). */
  dir: string;
  /** The first store's name (default `app`). */
  store?: string;
  /** Write a typed `cairn.config.ts` (defineStores) instead of `cairn.config.json`. */
  ts?: boolean;
}

export interface InitResult {
  /** The files written, relative to `dir`, in the order they were written. */
  created: string[];
  /** The commands to run next, each with what it does. */
  next: { command: string; why: string }[];
}

const STORE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * `cairn init`: a config declaring one store, its migrations folder and a
 * first migration that is a real one (it applies, and `redo` can revert
 * it). Everything is checked before anything is written, and each file is
 * created exclusively: an existing config, or a migrations folder that holds
 * files, is refused (E_TARGET_EXISTS) and nothing is written.
 */
export function scaffoldApp(options: InitOptions): InitResult {
  const store = options.store ?? 'app';
  if (!STORE_NAME.test(store))
    throw new CairnError('E_USAGE', `store name ${JSON.stringify(store)}: store names start with a letter: letters, digits, _ and -`);
  const configName = options.ts ? 'cairn.config.ts' : 'cairn.config.json';
  const migrations = path.posix.join('migrations', store);
  const first = path.posix.join(migrations, '00001_init.sql');
  assertNothingThere(options.dir, migrations);
  const files: Array<[string, string]> = [
    [configName, options.ts ? tsConfig(store, migrations) : jsonConfig(store, migrations)],
    [first, FIRST_MIGRATION],
  ];
  const created: string[] = [];
  for (const [name, text] of files) {
    const file = path.join(options.dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // 'wx': a file that appeared since the check above is still never overwritten.
    fs.writeFileSync(file, text, { flag: 'wx' });
    created.push(name);
  }
  return {
    created,
    next: [
      { command: 'cairn migrate', why: `create data/${store}.sqlite and apply ${path.posix.basename(first)}` },
      { command: 'cairn new add_something', why: `write the next migration in ${migrations}/` },
      { command: 'cairn status', why: 'see where each store stands' },
    ],
  };
}

function assertNothingThere(dir: string, migrations: string): void {
  const found: string[] = CONFIG_NAMES.filter((name) => fs.existsSync(path.join(dir, name)));
  const folder = path.join(dir, migrations);
  if (fs.existsSync(folder) && fs.readdirSync(folder).length > 0) found.push(`${migrations}/ (not empty)`);
  if (found.length === 0) return;
  throw new CairnError(
    'E_TARGET_EXISTS',
    `${dir} already has ${found.join(', ')}; cairn init writes nothing over existing files. Run it in a new folder, or add the store to the config you have; nothing was written.`,
    { dir, found },
  );
}

function jsonConfig(store: string, migrations: string): string {
  const config = { home: './data', stores: { [store]: { file: `${store}.sqlite`, migrations } } };
  return `${JSON.stringify(config, null, 2)}\n`;
}

function tsConfig(store: string, migrations: string): string {
  return `import { defineStores } from 'cairndb';

// Paths are relative to this file. Each store is one SQLite file under home
// and the folder of numbered migrations that shapes it (docs/stores.md).
export default defineStores({
  home: './data',
  stores: {
    ${/^[A-Za-z_$][\w$]*$/.test(store) ? store : JSON.stringify(store)}: { file: ${JSON.stringify(`${store}.sqlite`)}, migrations: ${JSON.stringify(migrations)} },
  },
});
`;
}

const FIRST_MIGRATION = `-- +goose Up
-- The store's first table: rename or replace it before your first release.
-- Once a release has shipped with a file, change the schema in a new file
-- (cairn new NAME) instead of editing this one.
CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- +goose Down
DROP TABLE settings;
`;
