import { z } from 'zod';

/**
 * The pieces several `--json` documents share (a migration reference, a
 * table's write counts, a rejected line …), described once. documents.ts
 * builds each command's document from them; docs/json.md is generated from
 * both, and a test validates every command's real output against them.
 */

export const ref = z.strictObject({ version: z.number().int(), name: z.string() });

export const errorInfo = z.strictObject({ code: z.string().describe('a stable E_… code (docs/errors.md)'), message: z.string() }).describe('code and message');

export const lintFinding = z.strictObject({
  rule: z.string().describe('the rule (docs/migrations.md#lint)'),
  severity: z.enum(['error', 'warning']),
  file: z.string().describe('the migration file, absolute'),
  line: z.number().int().nullable().describe('the line its statement starts on'),
  version: z.number().int(),
  section: z.enum(['up', 'down']),
  message: z.string(),
  fix: z.string().describe('what to do instead'),
  statement: z.string().describe('the statement, shortened'),
});

const stepKind = z.enum(['baseline', 'up', 'down', 'rename', 'accept-edit']);

export const migrateStore = z.strictObject({
  store: z.string(),
  file: z.string().describe('the DB file, or for a PostgreSQL store its server and schema (password hidden)'),
  dryRun: z.boolean(),
  from: z.number().int().nullable().describe('the version before the run (null: no history)'),
  to: z.number().int().nullable().describe('the version after it (on a dry run: would be)'),
  planned: z
    .array(
      z.strictObject({
        kind: stepKind,
        version: z.number().int(),
        name: z.string(),
        transaction: z.boolean().describe('false for a NO TRANSACTION file'),
        statements: z.array(z.string()),
      }),
    )
    .describe('the steps, in order, with their statements'),
  applied: z
    .array(z.strictObject({ kind: stepKind, version: z.number().int(), name: z.string(), durationMs: z.number(), statements: z.number().int() }))
    .describe('the steps that ran'),
  failed: z
    .strictObject({
      version: z.number().int(),
      name: z.string(),
      code: z.string(),
      message: z.string(),
      statement: z.number().int().nullable().describe('1-based statement that failed'),
      restoredFromBackup: z.boolean(),
      partlyApplied: z.boolean().describe('a NO TRANSACTION file whose earlier statements ran and stay'),
    })
    .nullable()
    .describe('the step that failed, or null'),
  backup: z.string().nullable().describe('the copy taken before the first change, or null'),
  warnings: z.array(z.string()),
  lint: z.array(lintFinding).describe('what the lint found in the pending files'),
});

export const tableCounts = z.strictObject({
  inserted: z.number().int(),
  alreadyPresent: z.number().int().describe('rows whose key was already there (left alone)'),
  updated: z.number().int().describe('upsert mode: rows whose values changed'),
  rejected: z.number().int(),
});

export const rejectSample = z.strictObject({
  source: z.string().describe('the import source or backfill job'),
  file: z.string(),
  line: z.number().int().optional(),
  key: z.string().optional().describe('object key, array index or rowid'),
  table: z.string().optional(),
  reason: z.string(),
  raw: z.string().nullable().optional().describe('the input as read'),
  rawBase64: z.string().optional().describe('the bytes, when not valid UTF-8'),
  row: z.record(z.string(), z.unknown()).optional().describe('the row that could not be written'),
});

export const manifest = z
  .looseObject({
    format: z.literal('cairn-snapshot'),
    formatVersion: z.number().int(),
    store: z.string(),
    tables: z.array(z.looseObject({ name: z.string(), file: z.string(), rows: z.number().int(), bytes: z.number().int(), sha256: z.string() })),
  })
  .describe("the snapshot's manifest.json, as docs/snapshots.md describes it");

export const exportResult = z.strictObject({
  store: z.string(),
  dir: z.string().describe('the snapshot folder'),
  manifest,
  rows: z.number().int(),
  bytes: z.number().int(),
  elapsedMs: z.number(),
});

export const comparison = z.strictObject({
  equal: z.boolean(),
  tables: z.array(
    z.strictObject({
      table: z.string(),
      expectedRows: z.number().int(),
      rows: z.number().int().nullable(),
      comparedBy: z.enum(['values', 'count']),
      equal: z.boolean(),
      firstDifference: z.strictObject({ line: z.number().int(), expected: z.string().nullable(), actual: z.string().nullable() }).nullable(),
      note: z.string().nullable(),
    }),
  ),
});

export const restoreResult = z.strictObject({
  store: z.string(),
  snapshot: z.string(),
  target: z.string().describe('the file (or server schema) filled'),
  created: z.boolean(),
  migrated: migrateStore.nullable().describe('the migrations that built the target, as in `cairn.migrate/1`'),
  tables: z.array(z.strictObject({ table: z.string(), rows: z.number().int(), droppedColumns: z.array(z.string()), defaultedColumns: z.array(z.string()) })),
  droppedTables: z.array(z.string()),
  rows: z.number().int(),
  verification: comparison.describe('the target re-read and compared with the snapshot'),
  warnings: z.array(z.string()),
  elapsedMs: z.number(),
  timings: z.strictObject({ checksumMs: z.number(), insertMs: z.number(), verifyMs: z.number() }),
});

const checkStatus = z.enum(['ok', 'warn', 'fail', 'idle']);

export const doctorFields = {
  overallStatus: z.enum(['ok', 'warn', 'fail']).describe('fail when any check fails, else warn when any warns, else ok'),
  cairnVersion: z.string(),
  generatedAt: z.string(),
  elapsedMs: z.number(),
  counts: z.strictObject({ ok: z.number().int(), warn: z.number().int(), fail: z.number().int(), idle: z.number().int() }),
  checks: z
    .record(
      z.string(),
      z.strictObject({
        id: z.string().describe('`<store>.<check>`, or a check about the whole config (`config`, `imports`, `backfills`)'),
        store: z.string().nullable(),
        status: checkStatus,
        summary: z.string().describe('one line'),
        details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).describe('key/value facts, in display order'),
        remedy: z.string().nullable().describe('what to do, when the status is not ok'),
      }),
    )
    .describe('by id'),
};
