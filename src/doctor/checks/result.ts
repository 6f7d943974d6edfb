import type { CheckStatus, DetailValue, DoctorCheck } from '../types.js';

/** Builds a check result; `name` is qualified by the store (`state` + `integrity` → `state.integrity`). */
export function checkResult(
  store: string | null,
  name: string,
  status: CheckStatus,
  summary: string,
  details: Record<string, DetailValue> = {},
  remedy: string | null = null,
): DoctorCheck {
  return { id: store === null ? name : `${store}.${name}`, store, status, summary, details, remedy: status === 'ok' ? null : remedy };
}

/** The check that could not run because the database could not be read. */
export function skipped(store: string, name: string, why: string): DoctorCheck {
  return checkResult(store, name, 'idle', `skipped: ${why}`);
}
