import path from 'node:path';
import { CairnError, isCairnError } from '../errors.js';
import { parseMigration } from '../migrations/parse.js';
import { schemaState } from '../migrations/plan.js';
import { assertFullyMigrated, baselineText, defaultBaselinePath, writeBaselineFile } from '../schema/fully-migrated.js';
import type { BaselineOptions, BaselineResult } from '../schema/write-baseline.js';
import { planInput } from './plan-input.js';
import { describeSchema } from './schema-describe.js';
import { pgSchemaDump } from './schema-dump.js';
import { inTransaction, openSession, type PgSession } from './session.js';
import { describeTarget, quotePgIdent, type PostgresTarget } from './target.js';

/**
 * `cairn baseline` for a PostgreSQL store: one SQL file that re-creates the
 * store's schema (schema-dump.ts), stamped with its version, from a store
 * that is exactly what its files say. Before it is written, the file runs
 * in a scratch schema inside a transaction that is always rolled back, and
 * the scratch schema's catalog lines are compared with the store's
 * (schema-describe.ts): a baseline that would not re-create the same schema
 * is never written, and the refusal lists what differs.
 */
export async function writePostgresBaseline(target: PostgresTarget, options: BaselineOptions & { root: string }): Promise<BaselineResult> {
  const where = describeTarget(target);
  const session = await openSession(target, { env: options.env, applicationName: `cairn baseline ${target.name}` });
  try {
    // One snapshot for the history, the dump and the description: a migrator committing meanwhile cannot split them.
    const read = await inTransaction(session, async () => {
      await session.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const input = await planInput(session, target, options.env);
      const fully = assertFullyMigrated({ store: target.name, label: `${target.name} (${where})` }, schemaState(input), input.migrations);
      await session.query(`SET LOCAL search_path = ${quotePgIdent(target.schema)}`);
      return { ...fully, objects: await pgSchemaDump(session, target.schema), want: await describeSchema(session, target.schema) };
    });
    const out = path.resolve(options.out ?? defaultBaselinePath(target, options.root));
    const text = baselineText(target.name, read.version, read.objects.map((o) => `${o.sql.trim()};\n`).join('\n'));
    await assertRecreates(session, target, text, out, read.want);
    const result: BaselineResult = {
      store: target.name,
      file: where,
      engine: 'postgres',
      version: read.version,
      out,
      written: false,
      objects: read.objects.filter((o) => o.type !== 'setting').map((o) => ({ type: o.type, name: o.name })),
      config: { file: out, version: read.version },
      covers: read.covers,
      text,
    };
    if (options.dryRun) return result;
    writeBaselineFile(out, text, options.force);
    return { ...result, written: true };
  } finally {
    await session.end().catch(() => {});
  }
}

/** Runs the baseline in a scratch schema (rolled back, always) and compares its catalog lines with the store's. */
async function assertRecreates(session: PgSession, target: PostgresTarget, text: string, out: string, want: Set<string>): Promise<void> {
  const scratch = `cairn_baseline_check_${process.pid}_${Date.now()}`;
  let got: Set<string> | undefined;
  let failure: unknown;
  await session.query('BEGIN');
  try {
    await session.query(`CREATE SCHEMA ${quotePgIdent(scratch)}`);
    await session.query(`SET LOCAL search_path = ${quotePgIdent(scratch)}, public`);
    for (const statement of parseMigration({ version: 0, name: path.basename(out), path: out, text }, {}, 'postgres').up) {
      await session.query(statement.sql);
    }
    await session.query(`SET LOCAL search_path = ${quotePgIdent(scratch)}`);
    got = await describeSchema(session, scratch);
  } catch (error) {
    failure = error;
  } finally {
    await session.query('ROLLBACK').catch(() => {});
  }
  // No privilege to make the scratch schema, a full disk: already named, and not the baseline's fault.
  if (isCairnError(failure)) throw failure;
  if (failure !== undefined) {
    throw new CairnError(
      'E_SNAPSHOT_SCHEMA',
      `${target.name}: the baseline does not run on an empty schema (${(failure as Error).message}); nothing was written. Write this store's baseline by hand (pg_dump --schema-only is a start)`,
      { store: target.name },
    );
  }
  const missing = [...want].filter((line) => !got!.has(line));
  const extra = [...got!].filter((line) => !want.has(line));
  if (missing.length > 0 || extra.length > 0) {
    throw new CairnError(
      'E_SNAPSHOT_SCHEMA',
      `${target.name}: the baseline would not re-create the schema exactly (missing: ${missing.join(' | ') || 'none'}; extra: ${extra.join(' | ') || 'none'}); nothing was written. What cairn cannot write yet (policies, rules, partitions, extensions in the schema …) is listed as missing: write this baseline by hand`,
      { store: target.name, missing, extra },
    );
  }
}
