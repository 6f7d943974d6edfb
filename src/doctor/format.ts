import os from 'node:os';
import type { DoctorCheck } from './types.js';

/** 1536 → "1.5 KiB": binary units, labelled as such. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** Counts read the same in doctor as everywhere else (words.ts). */
export { plural } from '../words.js';

/** Replaces the home directory with `~` in every string of a check (summary, details, remedy). */
export function redactHome(check: DoctorCheck, home: string = os.homedir()): DoctorCheck {
  if (!home || home === '/') return check;
  const pattern = new RegExp(`${escapeRegExp(home.replace(/\/+$/, ''))}(?![\\w.-])`, 'g');
  const redact = <T>(value: T): T => (typeof value === 'string' ? (value.replace(pattern, '~') as T) : value);
  return {
    ...check,
    summary: redact(check.summary),
    remedy: redact(check.remedy),
    details: Object.fromEntries(Object.entries(check.details).map(([k, v]) => [k, redact(v)])),
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
