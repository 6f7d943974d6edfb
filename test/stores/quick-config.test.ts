// The config fast path (quick-config.ts) must never accept what the zod
// schema refuses, and must return exactly what the schema returns. Checked
// on generated configs: valid ones, and each with one part made wrong.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { quickParseConfig } from '../../dist/config/quick-config.js';
import { configSchemas } from '../../dist/config/schema.js';

/** A small deterministic PRNG, so a failure names a seed that reproduces it. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_VALUES: unknown[] = [
  undefined,
  null,
  0,
  -1,
  1.5,
  2 ** 53,
  Number.NaN,
  Infinity,
  -Infinity,
  '',
  'x',
  'WAL',
  'wal',
  'Wal',
  'fast',
  'FULL',
  'exclusive',
  true,
  false,
  [],
  {},
  { keep: 0 },
  { keep: 101 },
  { keep: 3 },
  { keep: 3, extra: 1 },
  { file: 'b.sql', version: 0 },
  { file: '', version: 1 },
  { file: 'b.sql', version: -1 },
  'a b',
  'a;b',
  512,
  4096,
  1000,
  65536,
  131072,
  -2,
  'cairn',
  'goose',
  'GOOSE',
  'memory',
  'incremental',
  'none',
  'a-word.1',
  Object.create({ inherited: 1 }),
];
const PRAGMAS = [
  'journal_mode',
  'busy_timeout',
  'synchronous',
  'foreign_keys',
  'cache_size',
  'temp_store',
  'mmap_size',
  'page_size',
  'auto_vacuum',
  'wal_autocheckpoint',
  'journal_size_limit',
  'locking_mode',
  'recursive_triggers',
  'secure_delete',
  'cell_size_check',
  'trusted_schema',
  'automatic_index',
  'defer_foreign_keys',
  'threads',
  'nope',
  'JOURNAL_MODE',
];
const STORE_KEYS = ['file', 'migrations', 'pragmas', 'extraPragmas', 'baseline', 'allowOutOfOrder', 'backups', 'lockTimeoutMs', 'history', 'unknown'];
const NAMES = ['state', 'logs', 'a_b', 'A-1', '1bad', '_x', '', 'has space', '__proto__', 'constructor'];

/** Values each key takes when it is meant to be right. */
const GOOD: Record<string, unknown[]> = {
  journal_mode: ['wal', 'WAL', 'delete', 'Truncate'],
  busy_timeout: [0, 250, 5000],
  synchronous: ['normal', 'FULL', 'off'],
  foreign_keys: [true, false],
  cache_size: [-2000, 0, 4096],
  temp_store: ['memory', 'DEFAULT'],
  mmap_size: [0, 268435456],
  page_size: [512, 4096, 65536],
  auto_vacuum: ['incremental', 'NONE'],
  wal_autocheckpoint: [0, 1000],
  journal_size_limit: [-1, 0, 1048576],
  locking_mode: ['normal', 'EXCLUSIVE'],
  secure_delete: [true, 'fast'],
  threads: [0, 4],
  recursive_triggers: [true],
  cell_size_check: [false],
  trusted_schema: [false],
  automatic_index: [true],
  defer_foreign_keys: [false],
  baseline: [
    { file: 'b.sql', version: 0 },
    { file: 'b.sql', version: 7 },
  ],
  allowOutOfOrder: [true, false],
  backups: [false, { keep: 1 }, { keep: 100 }],
  lockTimeoutMs: [0, 120000],
  history: ['cairn', 'goose'],
  file: ['x.sqlite'],
  migrations: ['m', false],
};

/** Values just past each key's rule: the ones a loose check would let through. */
const NEAR: Record<string, unknown[]> = {
  journal_mode: ['wal2', 'WAL ', 1],
  busy_timeout: [-1, 1.5, '5000'],
  synchronous: ['normally', 2],
  foreign_keys: [1, 'true'],
  cache_size: [1.5, 2 ** 53],
  temp_store: ['ram'],
  mmap_size: [-1],
  page_size: [1000, 256, 131072, 3072, 4096.5],
  auto_vacuum: ['yes', 1],
  wal_autocheckpoint: [-1],
  journal_size_limit: [-2, 0.5],
  locking_mode: ['shared'],
  secure_delete: ['FAST', 'fast ', 1],
  threads: [-1, 2.5],
  recursive_triggers: [0],
  baseline: [{ file: 'b.sql', version: 1.5 }, { file: 'b.sql' }],
  allowOutOfOrder: [1, 'yes'],
  backups: [{ keep: 0 }, { keep: 101 }, { keep: 2.5 }, true],
  lockTimeoutMs: [-1, 0.5],
  history: ['Goose', 'flyway'],
  file: ['', 3],
  migrations: ['', true, null],
};

function generate(next: () => number): unknown {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const valueFor = (key: string): unknown => {
    const roll = next();
    if (GOOD[key] && roll < 0.7) return pick(GOOD[key]!);
    if (NEAR[key] && roll < 0.88) return pick(NEAR[key]!);
    return pick(ODD_VALUES);
  };
  const stores: Record<string, unknown> = {};
  const count = next() < 0.05 ? 0 : 1 + Math.floor(next() * 3);
  for (let i = 0; i < count; i++) {
    const store: Record<string, unknown> = { file: `${i}.sqlite`, migrations: next() < 0.8 ? `m/${i}` : false };
    for (const key of STORE_KEYS) {
      if (next() > 0.2) continue;
      if (key === 'pragmas') {
        const pragmas: Record<string, unknown> = {};
        for (let j = Math.floor(next() * 4); j > 0; j--) {
          const name = next() < 0.9 ? pick(PRAGMAS.slice(0, 19)) : pick(PRAGMAS);
          pragmas[name] = valueFor(name);
        }
        store.pragmas = next() < 0.9 ? pragmas : pick(ODD_VALUES);
      } else if (key === 'extraPragmas') {
        store.extraPragmas = {
          [pick(['cache_spill', 'writable_schema', 'Bad', 'analysis_limit', 'schema_version'])]: next() < 0.6 ? pick([0, 'on', true, 1.5]) : pick(ODD_VALUES),
        };
      } else {
        store[key] = valueFor(key);
      }
    }
    Object.defineProperty(stores, next() < 0.85 ? pick(NAMES.slice(0, 4)) : pick(NAMES), {
      value: store,
      enumerable: true,
      configurable: true,
      writable: true,
    });
  }
  const config: Record<string, unknown> = { stores: next() < 0.95 ? stores : pick(ODD_VALUES) };
  if (next() < 0.2) config.home = pick(ODD_VALUES);
  if (next() < 0.2) config.imports = next() < 0.7 ? { legacy: 'imports/legacy.mjs' } : { legacy: pick(ODD_VALUES) };
  if (next() < 0.2) config.backfills = next() < 0.7 ? { rollouts: 'jobs/r.mjs' } : pick(ODD_VALUES);
  if (next() < 0.05) config.typo = 1;
  return config;
}

describe('the config fast path', () => {
  it('accepts only what the schema accepts, and returns what the schema returns (8000 generated configs)', () => {
    const { configSchema } = configSchemas();
    let quick = 0;
    let valid = 0;
    for (let seed = 1; seed <= 8000; seed++) {
      const config = generate(rng(seed));
      const fast = quickParseConfig(config);
      const full = configSchema.safeParse(config);
      if (full.success) valid++;
      if (fast === null) continue;
      quick++;
      assert.ok(full.success, `seed ${seed}: the fast path accepted a config the schema refuses: ${JSON.stringify(config)}`);
      assert.deepEqual(fast, full.data, `seed ${seed}`);
    }
    // The generator must exercise both sides, and the fast path must take most valid configs, or it saves nothing.
    assert.ok(valid > 1000, `${valid} valid configs generated`);
    assert.ok(quick > valid * 0.9, `fast path took ${quick} of ${valid} valid configs`);
  });

  it('agrees with the schema on every key of a store and of its pragmas, one value at a time', () => {
    const { configSchema } = configSchemas();
    const values = (key: string): unknown[] => [...(GOOD[key] ?? []), ...(NEAR[key] ?? []), ...ODD_VALUES];
    const cases: unknown[] = [];
    for (const key of STORE_KEYS) {
      for (const value of values(key)) cases.push({ stores: { state: { file: 's.sqlite', migrations: 'm', [key]: value } } });
    }
    for (const name of PRAGMAS) {
      for (const value of values(name)) cases.push({ stores: { state: { file: 's.sqlite', migrations: 'm', pragmas: { [name]: value } } } });
    }
    for (const value of ODD_VALUES) {
      cases.push({ stores: { state: { file: 's.sqlite', migrations: 'm', extraPragmas: { cache_spill: value } } } });
      cases.push({ home: value, stores: { state: { file: 's.sqlite', migrations: 'm' } } });
      cases.push({ stores: { state: { file: 's.sqlite', migrations: 'm' } }, imports: value });
    }
    let agreed = 0;
    for (const config of cases) {
      const fast = quickParseConfig(config);
      const full = configSchema.safeParse(config);
      if (fast === null) continue;
      assert.ok(full.success, `the fast path accepted a config the schema refuses: ${JSON.stringify(config)}`);
      assert.deepEqual(fast, full.data);
      agreed++;
    }
    assert.ok(agreed > 100, `${agreed} configs taken by both`);
  });

  it('takes the everyday configs: several stores, pragmas in any case, backups, baseline', () => {
    const config = {
      home: '~/.app',
      stores: {
        state: {
          file: 'state.sqlite',
          migrations: 'migrations/state',
          pragmas: { journal_mode: 'WAL', busy_timeout: 5000, foreign_keys: true },
          backups: { keep: 5 },
        },
        logs: { file: 'logs.sqlite', migrations: false, extraPragmas: { cache_spill: 0 }, baseline: { file: 'b.sql', version: 3 }, history: 'goose' },
      },
      imports: { legacy: 'imports/legacy.mjs' },
    };
    const fast = quickParseConfig(config);
    assert.notEqual(fast, null);
    assert.deepEqual(fast, configSchemas().configSchema.parse(config));
  });
});
