import type { PgSession } from './session.js';

/**
 * Which text key columns already sort in byte order (SQLite's BINARY, the
 * order of a snapshot's lines): those whose collation is C, POSIX or a
 * code-point one (C.UTF-8). Their ORDER BY needs no `COLLATE "C"`, which
 * would keep the server from reading the primary key's index in order and
 * make it sort the whole table instead (1M rows: 1.5-2.1 s where the index
 * gives 1.0-1.1 s).
 *
 * A collation is trusted by what it does, not by its name, which differs by
 * provider and server version: every pair below is in byte order, and a
 * collation that keeps all of them in that order is taken as byte order.
 * Linguistic ones (libc's en_US, ICU's und …) fail several: they fold case,
 * skip punctuation, or put accented letters beside their base.
 */
const BYTE_ORDER_PAIRS: [string, string][] = [
  ['B', 'a'],
  ['Z', 'a'],
  ['a', 'aa'],
  ['', ' '],
  [' b', 'a'],
  ['a b', 'ab'],
  ['a-c', 'ab'],
  ['aB', 'a_'],
  ['0', 'A'],
  ['1', '10'],
  ['10', '9'],
  ['z', 'é'],
  ['é', 'ə'],
  ['ab', 'a\u0301'],
  ['\uFFFD', '\u{1F600}'],
  ['\u{E000}', '\u{10000}'],
  ['\u{1F600}', '\u{10FFFD}'],
];

/** Per table, the names of its collatable columns whose collation sorts as bytes (every column of the schema; only keys matter to the callers). */
export async function byteOrderedColumns(session: PgSession, schema: string): Promise<Map<string, Set<string>>> {
  const columns = await session.query<{ table: string; column: string; collation: string }>(
    `SELECT c.relname AS table, a.attname AS column, quote_ident(cn.nspname) || '.' || quote_ident(co.collname) AS collation
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
     JOIN pg_collation co ON co.oid = a.attcollation JOIN pg_namespace cn ON cn.oid = co.collnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`,
    [schema],
  );
  const verdicts = new Map<string, boolean>();
  const out = new Map<string, Set<string>>();
  for (const { table, column, collation } of columns) {
    let bytes = verdicts.get(collation);
    if (bytes === undefined) {
      bytes = await sortsAsBytes(session, collation);
      verdicts.set(collation, bytes);
    }
    if (!bytes) continue;
    const set = out.get(table) ?? new Set<string>();
    set.add(column);
    out.set(table, set);
  }
  return out;
}

async function sortsAsBytes(session: PgSession, collation: string): Promise<boolean> {
  const [row] = await session.query<{ ok: boolean | null }>(
    `SELECT bool_and(a COLLATE ${collation} < b COLLATE ${collation}) AS ok FROM unnest($1::text[], $2::text[]) AS p(a, b)`,
    [BYTE_ORDER_PAIRS.map(([a]) => a), BYTE_ORDER_PAIRS.map(([, b]) => b)],
  );
  return row?.ok === true;
}
