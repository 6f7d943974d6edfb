// Numbers and durations in messages, one style everywhere: a count with its
// noun agreeing ("1 row", "12,000 rows"), a duration in the unit people read
// it in ("850 ms", "4.6 s", "2 min 5 s").

const grouped = new Intl.NumberFormat('en-US');

/** `1 row`, `2 rows`, `12,000 rows`: the number with thousands grouped, the noun singular only for exactly one. */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${grouped.format(n)} ${n === 1 ? singular : pluralForm}`;
}

/** A number with thousands grouped (`1,000,000`), for rates and counts whose noun follows elsewhere. */
export function grouping(n: number): string {
  return grouped.format(n);
}

/** Milliseconds as read: `0.4 ms` and `850 ms` under a second, `4.6 s` under a minute, `2 min 5 s` from one. */
export function duration(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}
