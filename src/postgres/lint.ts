import { randomUUID } from 'node:crypto';
import { errorMessage } from '../errors.js';
import { emptyMigrationFinding } from '../lint/empty.js';
import type { LintFinding } from '../lint/types.js';
import type { Migration, MigrationStatement } from '../migrations/types.js';
import type { PgSession } from './session.js';
import { quotePgIdent } from './target.js';

/** Statements PostgreSQL can PREPARE: checked for names and types without running, so a data-loading file is not run twice. */
const PREPARABLE = /^\s*(\(\s*)*(select|insert|update|delete|values|with|merge|table)\b/i;

/**
 * Judges pending files against the server's real schema without changing it:
 * every file's DDL runs inside one transaction that is always rolled back
 * (data statements are PREPAREd, not run), so PostgreSQL itself says which
 * statement fails, with the schema as the earlier files leave it. With
 * `scratch`, the files run in an empty schema made inside that transaction
 * (what a fresh database meets); with `'when-absent'`, only when the store's
 * own schema is not there yet. What cannot run in a transaction (a NO
 * TRANSACTION file) is parsed only, and a finding says so. Lock waits are
 * bounded (lock_timeout), so a busy table is reported, never waited on with
 * the app's queries queued behind.
 */
export async function lintPostgresFiles(
  session: PgSession,
  schema: string,
  files: readonly Migration[],
  options: { scratch?: boolean | 'when-absent' } = {},
): Promise<LintFinding[]> {
  const findings: LintFinding[] = [];
  // A fresh store whose (empty) schema is already there is judged in it, inside the rolled-back transaction: a user
  // given that schema by an owner may create nothing outside it, so a scratch schema is made only when there is none.
  const scratch = options.scratch === 'when-absent' ? !(await schemaExists(session, schema)) : Boolean(options.scratch);
  await session.query('BEGIN');
  try {
    await session.query("SET LOCAL lock_timeout = '2s'");
    if (scratch) {
      const scratch = `cairn_lint_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      await session.query(`CREATE SCHEMA ${quotePgIdent(scratch)}`);
      await session.query(`SET LOCAL search_path TO ${quotePgIdent(scratch)}, public`);
    } else {
      await session.query(`SET LOCAL search_path TO ${quotePgIdent(schema)}, public`);
    }
    let prepared = 0;
    for (const file of files) {
      const empty = emptyMigrationFinding(file);
      if (empty) findings.push(empty);
      if (!file.useTransaction) {
        findings.push(notExecuted(file, file.up[0] ?? null, 'it is a NO TRANSACTION file, which cannot run inside the lint’s transaction; it was parsed only'));
        continue;
      }
      await session.query('SAVEPOINT cairn_lint_file');
      for (const statement of file.up) {
        const name = `cairn_lint_${++prepared}`;
        const preparable = PREPARABLE.test(statement.sql);
        try {
          await session.query(preparable ? `PREPARE ${name} AS ${statement.sql.replace(/;\s*$/, '')}` : statement.sql);
          if (preparable) await session.query(`DEALLOCATE ${name}`);
        } catch (error) {
          const code = (error as { code?: string }).code;
          findings.push(
            code === '55P03'
              ? notExecuted(file, statement, 'a table it changes was busy (another session held a lock for over 2 s), so it was not checked')
              : {
                  rule: 'statement-fails',
                  severity: 'error',
                  file: file.path,
                  line: statement.line ?? null,
                  version: file.version,
                  section: 'up',
                  message: `PostgreSQL refuses it against this schema: ${errorMessage(error)}`,
                  fix: 'fix the statement, or the earlier file it depends on; the rest of this file was not checked',
                  statement: shorten(statement.sql),
                },
          );
          await session.query('ROLLBACK TO SAVEPOINT cairn_lint_file');
          break;
        }
      }
    }
  } finally {
    await session.query('ROLLBACK').catch(() => {});
  }
  return findings;
}

async function schemaExists(session: PgSession, schema: string): Promise<boolean> {
  return (await session.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).length > 0;
}

function notExecuted(file: Migration, statement: MigrationStatement | null, why: string): LintFinding {
  return {
    rule: 'not-executed',
    severity: 'warning',
    file: file.path,
    line: statement?.line ?? null,
    version: file.version,
    section: 'up',
    message: `not checked against the server: ${why}`,
    fix: 'review it by hand; migrate reports exactly which of its statements ran if one fails',
    statement: statement ? shorten(statement.sql) : '',
  };
}

function shorten(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}…` : flat;
}
