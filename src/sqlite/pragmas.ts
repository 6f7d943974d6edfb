/** Per-store connection pragmas; the defaults suit a local app with several processes. */
export interface Pragmas {
  journal_mode?: 'wal' | 'delete' | 'truncate' | 'persist' | 'memory' | 'off';
  busy_timeout?: number;
  synchronous?: 'off' | 'normal' | 'full' | 'extra';
  foreign_keys?: boolean;
  [name: string]: string | number | boolean | undefined;
}

export const DEFAULT_PRAGMAS: Readonly<Required<Pick<Pragmas, 'journal_mode' | 'busy_timeout' | 'synchronous' | 'foreign_keys'>>> = {
  journal_mode: 'wal',
  busy_timeout: 5000,
  synchronous: 'normal',
  foreign_keys: true,
};

/** Whether a store's connections enforce foreign keys (cairn's default: yes). */
export function foreignKeysOn(pragmas: Pragmas): boolean {
  return pragmas.foreign_keys ?? DEFAULT_PRAGMAS.foreign_keys;
}

const PRAGMA_NAME = /^[a-z_]+$/;
const PRAGMA_VALUE = /^[A-Za-z0-9_.-]+$/;

/**
 * The PRAGMA statements for a connection, busy_timeout first: every later
 * pragma (journal_mode=wal above all) may need a lock another process holds,
 * and must wait for it rather than fail with SQLITE_BUSY.
 */
export function pragmaStatements(pragmas: Pragmas): string[] {
  const merged: Pragmas = { ...DEFAULT_PRAGMAS, ...pragmas };
  const names = Object.keys(merged).sort((a, b) => rank(a) - rank(b));
  const out: string[] = [];
  for (const name of names) {
    const value = merged[name];
    if (value === undefined) continue;
    if (!PRAGMA_NAME.test(name)) throw new TypeError(`Invalid pragma name ${JSON.stringify(name)}`);
    const text = typeof value === 'boolean' ? (value ? 'ON' : 'OFF') : String(value);
    if (!PRAGMA_VALUE.test(text)) throw new TypeError(`Invalid value ${JSON.stringify(value)} for pragma ${name}`);
    out.push(`PRAGMA ${name} = ${text}`);
  }
  return out;
}

function rank(name: string): number {
  if (name === 'busy_timeout') return 0;
  if (name === 'journal_mode') return 1;
  return 2;
}
