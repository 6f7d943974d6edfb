import { DANGEROUS_PRAGMAS, type ParsedConfig } from './schema.js';

/**
 * The exact fast path of config validation: returns what the zod schema in
 * schema.ts would return for a config it is sure is valid, or null for
 * anything else, which then goes through zod for its precise messages. It may
 * send a valid config to zod (that is only slower); it must never accept one
 * zod refuses (test/stores/quick-config.test.ts checks that on thousands of
 * generated configs). Kept to the plain rules so it stays easy to hold
 * against the schema.
 */
export function quickParseConfig(input: unknown): ParsedConfig | null {
  if (!isPlainObject(input) || !onlyKeys(input, TOP_KEYS)) return null;
  const { home, stores, imports, backfills } = input;
  if (home !== undefined && !nonEmptyString(home)) return null;
  if (!isPlainObject(stores)) return null;
  const names = Object.keys(stores);
  if (names.length === 0) return null;
  const out: Record<string, unknown> = {};
  for (const name of names) {
    if (!STORE_NAME.test(name)) return null;
    const store = quickStore(stores[name]);
    if (!store) return null;
    out[name] = store;
  }
  if (imports !== undefined && !isStringRecord(imports)) return null;
  if (backfills !== undefined && !isStringRecord(backfills)) return null;
  const parsed: Record<string, unknown> = { stores: out };
  if (home !== undefined) parsed.home = home;
  if (imports !== undefined) parsed.imports = { ...imports };
  if (backfills !== undefined) parsed.backfills = { ...backfills };
  return parsed as ParsedConfig;
}

const TOP_KEYS = new Set(['home', 'stores', 'imports', 'backfills']);
const STORE_KEYS = new Set(['file', 'migrations', 'pragmas', 'extraPragmas', 'baseline', 'allowOutOfOrder', 'backups', 'lockTimeoutMs', 'history']);
const STORE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

function quickStore(value: unknown): Record<string, unknown> | null {
  if (!isPlainObject(value) || !onlyKeys(value, STORE_KEYS)) return null;
  const s = value;
  if (!nonEmptyString(s.file)) return null;
  if (s.migrations !== false && !nonEmptyString(s.migrations)) return null;
  if (s.allowOutOfOrder !== undefined && typeof s.allowOutOfOrder !== 'boolean') return null;
  if (s.lockTimeoutMs !== undefined && !intAtLeast(s.lockTimeoutMs, 0)) return null;
  if (s.history !== undefined && s.history !== 'cairn' && s.history !== 'goose') return null;
  if (s.backups !== undefined && s.backups !== false) {
    if (!isPlainObject(s.backups) || !onlyKeys(s.backups, KEEP_KEYS) || !intAtLeast(s.backups.keep, 1) || (s.backups.keep as number) > 100) return null;
  }
  if (s.baseline !== undefined) {
    const b = s.baseline;
    if (!isPlainObject(b) || !onlyKeys(b, BASELINE_KEYS) || !nonEmptyString(b.file) || !intAtLeast(b.version, 0)) return null;
  }
  const out: Record<string, unknown> = { ...s };
  if (s.backups !== undefined && s.backups !== false) out.backups = { ...(s.backups as object) };
  if (s.baseline !== undefined) out.baseline = { ...(s.baseline as object) };
  if (s.pragmas !== undefined) {
    const pragmas = quickPragmas(s.pragmas);
    if (!pragmas) return null;
    out.pragmas = pragmas;
  }
  if (s.extraPragmas !== undefined) {
    const extra = quickExtraPragmas(s.extraPragmas);
    if (!extra) return null;
    out.extraPragmas = extra;
  }
  return out;
}

const KEEP_KEYS = new Set(['keep']);
const BASELINE_KEYS = new Set(['file', 'version']);

type Check = (value: unknown) => unknown;
const INVALID = Symbol('invalid');
const word =
  (...words: string[]): Check =>
  (v) =>
    typeof v === 'string' && words.includes(v.toLowerCase()) ? v.toLowerCase() : INVALID;
const bool: Check = (v) => (typeof v === 'boolean' ? v : INVALID);
const intMin =
  (min: number): Check =>
  (v) =>
    intAtLeast(v, min) ? v : INVALID;
const anyInt: Check = (v) => (Number.isSafeInteger(v) ? v : INVALID);

/** The pragmas schema.ts knows, each with the same rule. */
const PRAGMA_CHECKS: Readonly<Record<string, Check>> = {
  journal_mode: word('wal', 'delete', 'truncate', 'persist', 'memory', 'off'),
  busy_timeout: intMin(0),
  synchronous: word('off', 'normal', 'full', 'extra'),
  foreign_keys: bool,
  cache_size: anyInt,
  temp_store: word('default', 'file', 'memory'),
  mmap_size: intMin(0),
  page_size: (v) => (intAtLeast(v, 512) && (v as number) <= 65536 && ((v as number) & ((v as number) - 1)) === 0 ? v : INVALID),
  auto_vacuum: word('none', 'full', 'incremental'),
  wal_autocheckpoint: intMin(0),
  journal_size_limit: intMin(-1),
  locking_mode: word('normal', 'exclusive'),
  recursive_triggers: bool,
  secure_delete: (v) => (typeof v === 'boolean' || v === 'fast' ? v : INVALID),
  cell_size_check: bool,
  trusted_schema: bool,
  automatic_index: bool,
  defer_foreign_keys: bool,
  threads: intMin(0),
};

function quickPragmas(value: unknown): Record<string, unknown> | null {
  if (!isPlainObject(value)) return null;
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(value)) {
    const check = Object.hasOwn(PRAGMA_CHECKS, name) ? PRAGMA_CHECKS[name] : undefined;
    if (!check) return null;
    // zod drops an optional key whose value is undefined only in some versions; leave such configs to it.
    if (v === undefined) return null;
    const checked = check(v);
    if (checked === INVALID) return null;
    out[name] = checked;
  }
  return out;
}

function quickExtraPragmas(value: unknown): Record<string, unknown> | null {
  if (!isPlainObject(value)) return null;
  for (const [name, v] of Object.entries(value)) {
    if (!/^[a-z_]+$/.test(name) || DANGEROUS_PRAGMAS.has(name)) return null;
    const ok = (typeof v === 'string' && /^[A-Za-z0-9_.-]+$/.test(v)) || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';
    if (!ok) return null;
  }
  return { ...value };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Every own key is known and none holds undefined (zod's handling of explicit undefined is left to zod). */
function onlyKeys(value: Record<string, unknown>, known: ReadonlySet<string>): boolean {
  for (const key of Object.keys(value)) if (!known.has(key) || value[key] === undefined) return false;
  return true;
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function intAtLeast(value: unknown, min: number): boolean {
  return Number.isSafeInteger(value) && (value as number) >= min;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return isPlainObject(value) && Object.entries(value).every(([k, v]) => k !== '__proto__' && typeof v === 'string');
}
