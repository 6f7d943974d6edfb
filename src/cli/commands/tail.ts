import type { Command } from 'commander';
import { CairnError } from '../../errors.js';
import { DEFAULT_POLL_MS, DEFAULT_TAIL_LINES } from '../../tail/defaults.js';
import { parseTimeBound } from '../../tail/time.js';
import { loadRegistry, type GlobalFlags } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { styleFor, type Io } from '../io.js';

interface TailFlags {
  store?: string;
  lines: string;
  follow?: boolean;
  pollMs: string;
  match: string[];
  contains: string[];
  since?: string;
  until?: string;
  from?: string;
  to?: string;
  any?: boolean;
  where: string[];
  timeColumn?: string;
  idColumn?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `col=value` flags grouped by column; the value may itself contain `=`. */
function byColumn(flag: string, pairs: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new CairnError('E_USAGE', `${flag} ${JSON.stringify(pair)}: expected column=value (for example ${flag} level=error)`, { flag, value: pair });
    (out[pair.slice(0, eq)] ??= []).push(pair.slice(eq + 1));
  }
  return out;
}

function positiveInt(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new CairnError('E_USAGE', `${flag} ${JSON.stringify(text)}: expected a whole number ≥ ${min}`, { flag, value: text });
  return n;
}

/**
 * `--since`/`--until` (or their first names `--from`/`--to`) as unix seconds,
 * read once when the command starts, so a relative time (`1h`) stays one
 * point in time while --follow runs; an error names the flag as typed.
 */
function timeBound(opts: TailFlags, name: 'since' | 'until', alias: 'from' | 'to'): string | undefined {
  if (opts[name] !== undefined && opts[alias] !== undefined) {
    throw new CairnError('E_USAGE', `--${name} and --${alias} are the same filter; give one`, { flags: [`--${name}`, `--${alias}`] });
  }
  const flag = opts[name] !== undefined ? name : alias;
  const text = opts[flag];
  return text === undefined ? undefined : String(parseTimeBound(`--${flag}`, text));
}

export function registerTail(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('tail')
    .description("print a table's last rows in id order and, with --follow, new ones as they land (read-only; never blocks writers)")
    .argument('<table>', 'the table, e.g. log_entries')
    .option('--store <name>', 'the store holding it (default: the only store whose database has it)')
    .option('-n, --lines <n>', 'how many matching rows to show first', String(DEFAULT_TAIL_LINES))
    .option('-f, --follow', 'keep printing newer rows until interrupted')
    .option('--poll-ms <ms>', 'poll interval with --follow', String(DEFAULT_POLL_MS))
    .option(
      '--match <column=value>',
      'exact match, case-insensitive for text; repeat for more columns (or more values of one column: any of them)',
      collect,
      [],
    )
    .option(
      '--contains <column=text>',
      'substring match on a text column (case-insensitive for ASCII); repeat for more: every one must match (or any, with --any)',
      collect,
      [],
    )
    .option('--any', 'a row matches when any one --match or --contains filter does, instead of all of them')
    .option(
      '--where <filter>',
      'a column compared with a value, e.g. "duration_ms >= 1000", "user IS NULL" (= != < <= > >= LIKE, NOT LIKE, IS [NOT] NULL; the value is bound, never pasted into SQL); repeatable, every one must match',
      collect,
      [],
    )
    .option('--since <time>', 'rows at or after this time: a time ago (30s, 15m, 1h, 2d, PT12H), RFC 3339 (2026-11-23T10:00:00Z), now, or unix seconds')
    .option('--until <time>', 'rows at or before this time, in the forms --since takes')
    .option('--from <time>', 'the same as --since')
    .option('--to <time>', 'the same as --until')
    .option(
      '--time-column <column>',
      'the column --since/--until apply to and print as local time (default: ts, timestamp, time, at, created_at, … whichever the table has)',
    )
    .option('--id-column <column>', 'an ever-increasing column to order and follow by (default: the rowid, or on PostgreSQL the integer primary key)')
    .option('--json', 'one JSON object per row (JSON lines)')
    .action(async (table: string, opts: TailFlags) => {
      const { tailTable } = await import('../../tail/tail.js');
      const { renderTailRow, tailRowJson } = await import('../render-tail.js');
      const registry = await loadRegistry(io, program.opts<GlobalFlags>());
      const style = styleFor(io.stdout, io.env);
      // Ctrl-C ends a --follow cleanly (exit 0), as it does tail -f; only while this command runs.
      const controller = new AbortController();
      const stop = () => controller.abort();
      io.signal?.addEventListener('abort', stop, { once: true });
      if (opts.follow) {
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }
      try {
        await tailTable(registry, {
          table,
          store: opts.store,
          lines: positiveInt('--lines', opts.lines, 0),
          follow: opts.follow,
          pollMs: positiveInt('--poll-ms', opts.pollMs, 10),
          match: byColumn('--match', opts.match),
          contains: byColumn('--contains', opts.contains),
          from: timeBound(opts, 'since', 'from'),
          to: timeBound(opts, 'until', 'to'),
          any: opts.any,
          where: opts.where,
          timeColumn: opts.timeColumn,
          idColumn: opts.idColumn,
          signal: controller.signal,
          env: io.env,
          onRows: (rows, query, store) => {
            io.stdout.write(rows.map((row) => (opts.json ? tailRowJson(row, query, store) : renderTailRow(row, query, style))).join('\n') + '\n');
          },
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
      done(EXIT.ok);
    });
}
