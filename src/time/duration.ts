const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `15m`, `14d`, `2w`, `500ms`, and sums of them (`1h30m`), as Go writes durations. */
const SHORT = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;
const SHORT_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;
/** ISO 8601 durations of fixed length: `P14D`, `PT12H`, `P1DT2H30M`, `P2W`, `PT0.5S` (no years or months: their length varies). */
const ISO = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

/**
 * A duration as milliseconds, or null when the text is not one (the caller
 * names the flag or key in its own error). Years and months are refused:
 * "1M" would be minutes to some readers and months to others, and a month's
 * length varies.
 */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  if (SHORT.test(t)) {
    let total = 0;
    for (const [, amount, unit] of t.matchAll(SHORT_PART)) total += Number(amount) * UNIT_MS[unit!]!;
    return total;
  }
  const iso = ISO.exec(t);
  if (!iso || t.toUpperCase() === 'P' || t.toUpperCase().endsWith('T')) return null;
  const [, w, d, h, m, s] = iso.map((v) => (v === undefined ? 0 : Number(v)));
  return (w! * 7 + d!) * UNIT_MS.d! + h! * UNIT_MS.h! + m! * UNIT_MS.m! + s! * 1000;
}

/** What parseDuration accepts, for error messages. */
export const DURATION_FORMS = '30s, 15m, 12h, 14d, 2w, 1h30m, or ISO 8601 (PT12H, P14D)';
