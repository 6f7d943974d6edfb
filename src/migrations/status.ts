import type { ResolvedStore } from '../config/stores.js';
import { errorMessage, isCairnError } from '../errors.js';
import { openDatabase } from '../sqlite/open.js';
import type { Env } from './envsub.js';
import { interruptedError, readInterruptedOutsideLock } from './interrupted.js';
import { planInput } from './plan-input.js';
import { emptyStatus, refusalOf, statusFrom, type StoreStatus } from './status-report.js';
import { databaseExists } from '../sqlite/files.js';

export { emptyStatus, newerThanAppWarning, refusalOf, statusFrom, type StoreStatus } from './status-report.js';

export function storeStatus(store: ResolvedStore, options: { env?: Env } = {}): StoreStatus {
  const exists = databaseExists(store.file);
  const base = emptyStatus(store.name, store.file, exists);
  try {
    const db = exists ? openDatabase(store.file, { readonly: true }) : null;
    try {
      const input = planInput(store, db, options.env);
      const interrupted = db ? readInterruptedOutsideLock(db, store.file) : null;
      const refusal = refusalOf(store, input, interrupted ? interruptedError(store.name, store.file, interrupted) : null);
      return { ...base, ...statusFrom(input, interrupted, refusal) };
    } finally {
      db?.close();
    }
  } catch (error) {
    return { ...base, error: { code: isCairnError(error) ? error.code : 'E_UNEXPECTED', message: errorMessage(error) } };
  }
}
