import path from 'node:path';
import type { ResolvedStore } from '../config/stores.js';
import { CairnError } from '../errors.js';
import type { Env } from '../migrations/envsub.js';
import { planInput } from '../migrations/migrator.js';
import { parseMigration } from '../migrations/parse.js';
import { schemaState } from '../migrations/plan.js';
import { openBetterSqlite3 } from '../sqlite/driver-better-sqlite3.js';
import type { Db } from '../sqlite/db.js';
import { openDatabase } from '../sqlite/open.js';
import { inReadTransaction } from '../sqlite/read-transaction.js';
import { dumpText, schemaDump, type SchemaObject } from './dump.js';
import { assertFullyMigrated, baselineText, defaultBaselinePath as defaultPath, writeBaselineFile } from './fully-migrated.js';
import { databaseExists } from '../sqlite/files.js';

export interface BaselineOptions {
  /** Where to write (default: beside the migrations folder, `<folder>.baseline.sql`). */
  out?: string;
  /** Replace a file already there. */
  force?: boolean;
  /** Build and check the text; write no file. */
  dryRun?: boolean;
  env?: Env;
}

export interface BaselineResult {
  store: string;
  /** The DB file, or for a PostgreSQL store its server and schema (password hidden). */
  file: string;
  engine: 'sqlite' | 'postgres';
  /** The DB's version: the baseline stands for every migration up to it. */
  version: number;
  out: string;
  written: boolean;
  /** What the file creates, in order (`table`, `index`, `view`, `trigger`; on PostgreSQL also `type`, `domain`, `sequence`, `function`, `constraint`, `comment`). */
  objects: { type: string; name: string }[];
  /** What to put in the store's config so fresh DBs start from it. */
  config: { file: string; version: number };
  /** The files the baseline covers, which can be retired once every user DB is at `version` or later. */
  covers: string[];
  text: string;
}

/**
 * Squashes a store: writes one SQL file that re-creates the schema of its
 * fully migrated DB (schema/dump.ts), stamped with the DB's version. Before
 * writing, the file is run on an empty in-memory database and its
 * sqlite_master compared with the DB's, so a baseline that would not
 * re-create the same schema is never written.
 */
export function writeBaseline(store: ResolvedStore, options: BaselineOptions = {}): BaselineResult {
  if (!databaseExists(store.file)) {
    throw new CairnError('E_NO_DATABASE', `${store.name}: ${store.file} does not exist; migrate it first, then take the baseline from it`, {
      store: store.name,
    });
  }
  const db = openDatabase(store.file, { readonly: true });
  try {
    const { version, objects, covers } = inReadTransaction(db, () => readFullyMigrated(store, db, options.env));
    const out = path.resolve(options.out ?? defaultBaselinePath(store));
    const text = baselineText(store.name, version, dumpText(objects));
    assertRecreates(store, db, text, out);
    const result: BaselineResult = {
      store: store.name,
      file: store.file,
      engine: 'sqlite',
      version,
      out,
      written: false,
      objects: objects.map((o) => ({ type: o.type, name: o.name })),
      config: { file: out, version },
      covers,
      text,
    };
    if (options.dryRun) return result;
    writeBaselineFile(out, text, options.force);
    return { ...result, written: true };
  } finally {
    db.close();
  }
}

/** `migrations/state` → `migrations/state.baseline.sql`: beside the folder, never in it, where it would be read as a migration. */
export function defaultBaselinePath(store: ResolvedStore): string {
  return defaultPath(store, path.dirname(store.file));
}

function readFullyMigrated(store: ResolvedStore, db: Db, env: Env | undefined): { version: number; objects: SchemaObject[]; covers: string[] } {
  const input = planInput(store, db, env);
  const { version, covers } = assertFullyMigrated({ store: store.name, label: `${store.name} (${store.file})` }, schemaState(input), input.migrations);
  return { version, objects: schemaDump(db), covers };
}

/** Runs the baseline on an empty database and compares both sqlite_masters (SQL text included); throws on any difference. */
function assertRecreates(store: ResolvedStore, db: Db, text: string, out: string): void {
  const scratch = openBetterSqlite3(':memory:');
  try {
    for (const stmt of parseMigration({ version: 0, name: path.basename(out), path: out, text }).up) scratch.exec(stmt.sql);
    const want = masterOf(db);
    const got = masterOf(scratch);
    const missing = [...want].filter((k) => !got.has(k));
    const extra = [...got].filter((k) => !want.has(k));
    if (missing.length > 0 || extra.length > 0) {
      throw new CairnError(
        'E_SNAPSHOT_SCHEMA',
        `${store.name}: the baseline would not re-create the schema exactly (missing: ${missing.join(' | ') || 'none'}; extra: ${extra.join(' | ') || 'none'}); nothing was written`,
        { store: store.name, missing, extra },
      );
    }
  } finally {
    scratch.close();
  }
}

/** sqlite_master as comparable lines, cairn's own tables and other tools' history left out as the dump leaves them. */
export function masterOf(db: Db): Set<string> {
  const kept = new Set(schemaDump(db).map((o) => `${o.type}:${o.name}`.toLowerCase()));
  return new Set(
    db
      .prepare('SELECT type, name, tbl_name, sql FROM sqlite_master')
      .all<{ type: string; name: string; tbl_name: string; sql: string | null }>()
      .filter((o) => kept.has(`${o.type}:${o.name}`.toLowerCase()) || (o.sql === null && kept.has(`table:${o.tbl_name}`.toLowerCase())))
      .map((o) => `${o.type} ${o.name} on ${o.tbl_name}: ${o.sql ?? '(automatic)'}`),
  );
}
