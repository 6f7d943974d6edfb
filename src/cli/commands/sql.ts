import type { Command } from 'commander';
import { jsonSafe } from '../../importers/rejects.js';
import { selectAnyStores } from '../../config/stores.js';
import { loadRegistry, type GlobalFlags } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { jsonLine, styleFor, type Io } from '../io.js';

export function registerSql(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('sql')
    .description("run one SQL statement on a store (read-only unless --write), or with no query open the store's shell (sqlite3 / psql)")
    .argument('<store>', 'the store, as the config names it')
    .argument('[query]', 'one statement; ? (SQLite) or $1 (PostgreSQL) marks a parameter')
    .argument('[params...]', 'values for the parameters, bound as text, never pasted into the SQL')
    .option('--write', 'allow statements that change the database')
    .option('--json', 'print one JSON document: columns, and rows as arrays in column order')
    .action(async (name: string, query: string | undefined, params: string[], opts: { write?: boolean; json?: boolean }) => {
      const registry = await loadRegistry(io, program.opts<GlobalFlags>());
      const [store] = selectAnyStores(registry, [name]);
      if (query === undefined) {
        const { openShell } = await import('../../sql/shell.js');
        done(await openShell(store!, { write: opts.write, env: io.env }));
        return;
      }
      const { runSql } = await import('../../sql/run.js');
      const result = await runSql(store!, query, params, { write: opts.write, env: io.env });
      if (opts.json) io.stdout.write(`${jsonLine('sql', result, jsonSafe)}\n`);
      else {
        const { renderSqlResult } = await import('../render-sql.js');
        io.stdout.write(renderSqlResult(result, styleFor(io.stdout, io.env)));
      }
      done(EXIT.ok);
    });
}
