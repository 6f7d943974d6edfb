const NUMERIC = /^-?\d+(\.\d+)?$/;
const ISO_LIKE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * A stored time as the reader's local ISO 8601 time with its offset
 * (`2026-11-23T11:00:05.250+01:00`), or null when the value is not a time
 * (then it is printed as stored). Numbers are unix time in seconds,
 * milliseconds, microseconds or nanoseconds, told apart by size as the
 * filters tell them (tail/time.ts); text without a zone is UTC, as SQLite's
 * datetime() writes it.
 */
export function localIsoTime(value: unknown): string | null {
  let ms: number;
  if (typeof value === 'number' || typeof value === 'bigint' || (typeof value === 'string' && NUMERIC.test(value.trim()))) {
    ms = epochMs(Number(value));
  } else if (typeof value === 'string') {
    const m = ISO_LIKE.exec(value.trim());
    if (!m) return null;
    const zone = m[8] ? (m[8].length === 3 ? `${m[8]}:00` : m[8].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')) : 'Z';
    ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${(m[7] ?? '').slice(0, 4)}${zone}`);
  } else return null;
  if (!Number.isFinite(ms)) return null;
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return null;
  const pad = (n: number, w = 2): string => String(Math.abs(n)).padStart(w, '0');
  const offset = -d.getTimezoneOffset();
  const fraction = d.getMilliseconds() ? `.${pad(d.getMilliseconds(), 3)}` : '';
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${fraction}` +
    `${offset < 0 ? '-' : '+'}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  );
}

/** Unix time in s, ms, µs or ns as milliseconds: 1e11 seconds is the year 5138, 1e11 ms is 1973. */
function epochMs(n: number): number {
  const abs = Math.abs(n);
  if (abs >= 1e17) return n / 1e6;
  if (abs >= 1e14) return n / 1e3;
  if (abs >= 1e11) return n;
  return n * 1000;
}
