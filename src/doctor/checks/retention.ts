import type { RetentionPolicy } from '../../config/stores.js';
import { errorMessage } from '../../errors.js';
import type { Db } from '../../sqlite/db.js';
import { quoteIdent } from '../../sqlite/quote.js';
import { readTableInfo } from '../../sqlite/schema-info.js';
import { unixSecondsOf } from '../../tail/time.js';
import { formatBytes, plural } from '../format.js';
import type { StoreContext } from '../inspect.js';
import type { DetailValue, DoctorCheck } from '../types.js';
import { checkResult } from './result.js';

/**
 * Each retained table of the store (config `retention`): its rows, its
 * oldest row's time, its size, and whether the policy holds now; a table
 * holding more than its policy keeps is a warning whose remedy is
 * `cairn prune`. Read-only, like every doctor check.
 */
export function retentionCheck(ctx: StoreContext): DoctorCheck {
  const { store } = ctx;
  const policies = Object.entries(store.retention ?? {});
  if (!ctx.db) return checkResult(store.name, 'retention', 'idle', ctx.files.db ? 'skipped: the database cannot be read' : 'no database file yet');
  const details: Record<string, DetailValue> = {};
  const over: string[] = [];
  for (const [table, policy] of policies) {
    const seen = tableState(ctx.db, table, policy, ctx.now);
    details[table] = seen.text;
    if (seen.over) over.push(`${table} (${seen.over})`);
  }
  if (over.length === 0) return checkResult(store.name, 'retention', 'ok', `${plural(policies.length, 'retained table')} within policy`, details);
  return checkResult(
    store.name,
    'retention',
    'warn',
    `${plural(over.length, 'table')} holding more than the policy keeps: ${over.join(', ')}`,
    details,
    `cairn prune --store ${store.name} deletes what the policy no longer keeps, in short batches beside the running app (--dry-run counts it first).`,
  );
}

function tableState(db: Db, table: string, policy: RetentionPolicy, now: number): { text: string; over: string | null } {
  try {
    if (!readTableInfo(db, table)) return { text: 'no such table', over: 'no such table' };
    const t = quoteIdent(table);
    const row = db.prepare(`SELECT count(*) AS n, min(${unixSecondsOf(policy.timeColumn)}) AS oldest FROM ${t}`).get<{ n: number; oldest: number | null }>();
    const rows = Number(row?.n ?? 0);
    const oldest = row?.oldest ?? null;
    const bytes = tableBytes(db, table);
    const reasons: string[] = [];
    if (policy.maxAgeMs !== null && oldest !== null && now - oldest * 1000 > policy.maxAgeMs) reasons.push(`rows older than ${age(policy.maxAgeMs)}`);
    if (policy.maxRows !== null && rows > policy.maxRows) reasons.push(`${rows - policy.maxRows} rows over ${policy.maxRows}`);
    const parts = [
      plural(rows, 'row'),
      oldest === null ? 'no rows' : `oldest ${new Date(oldest * 1000).toISOString()}`,
      bytes === null ? null : formatBytes(bytes),
    ];
    return { text: parts.filter(Boolean).join(', '), over: reasons.length ? reasons.join(', ') : null };
  } catch (error) {
    return { text: `unreadable: ${errorMessage(error)}`, over: 'unreadable' };
  }
}

/** The table's pages (dbstat); null where this SQLite build has no dbstat. */
function tableBytes(db: Db, table: string): number | null {
  try {
    return Number(db.prepare('SELECT sum(pgsize) AS b FROM dbstat WHERE name = ?').get<{ b: number | null }>(table)?.b ?? 0);
  } catch {
    return null;
  }
}

/** A policy's age as people write it: 14 d, 12 h, 30 min, 45 s. */
function age(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['min', 60_000],
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  return `${ms / 1000} s`;
}
