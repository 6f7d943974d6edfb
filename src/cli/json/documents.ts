import { z } from 'zod';
import { doctorFields, errorInfo, exportResult, lintFinding, migrateStore, ref, rejectSample, restoreResult, tableCounts } from './parts.js';
import { JSON_DOCUMENT_VERSION, type JsonKind } from './kinds.js';

/**
 * Every document a command prints with `--json`, as a schema: the fields,
 * their types and what they mean. Not used at run time (the CLI writes its
 * results as they are); docs/json.md is generated from these and a test
 * checks each command's real output against its schema, so the two cannot
 * drift. A field added later bumps nothing; a field removed or changed in
 * meaning bumps the document's version (`cairn.status/2`).
 */

const ok = z.boolean().describe('true when the command did what was asked with nothing rejected or failed (the exit code says the same)');
const schemaField = (kind: JsonKind) => z.literal(`cairn.${kind}/${JSON_DOCUMENT_VERSION}`).describe("this document's kind and version");

const storeStatus = z.strictObject({
  store: z.string(),
  file: z.string(),
  exists: z.boolean(),
  current: z.number().int().nullable().describe('the newest applied version (null: no history)'),
  applied: z.array(
    z.strictObject({ version: z.number().int(), name: z.string(), appliedAt: z.string(), kind: z.enum(['migration', 'baseline']), additive: z.boolean() }),
  ),
  pending: z.array(ref),
  edited: z
    .array(z.strictObject({ version: z.number().int(), name: z.string(), path: z.string(), appliedChecksum: z.string(), fileChecksum: z.string() }))
    .describe('applied files changed since'),
  missing: z.array(ref).describe('applied versions whose file is gone'),
  newerThanApp: z.boolean(),
  unknown: z.array(z.strictObject({ version: z.number().int(), name: z.string(), additive: z.boolean() })).describe('applied versions above every file'),
  outOfOrder: z.array(ref),
  renamed: z.array(z.strictObject({ from: ref, to: ref })),
  legacyChain: z.boolean(),
  baselinePending: z.boolean(),
  unmanaged: z.boolean().describe('app tables but no cairn history'),
  foreignHistory: z.string().nullable().describe('the other tool whose history an unmanaged DB carries'),
  interrupted: z
    .looseObject({ version: z.number().int(), name: z.string(), startedAt: z.string(), backup: z.string().nullable() })
    .nullable()
    .describe('a NO TRANSACTION file killed or failed halfway'),
  refusal: errorInfo.nullable().describe('what `cairn migrate` would refuse with, or null'),
  error: errorInfo.nullable().describe('set when the store could not be inspected'),
});

const migrateDocument = (kind: 'migrate' | 'redo') => z.strictObject({ schema: schemaField(kind), ok, dryRun: z.boolean(), stores: z.array(migrateStore) });

const sourceSummary = z.strictObject({
  files: z.number().int(),
  records: z.number().int(),
  skipped: z.number().int().describe("records the plan's map skipped on purpose"),
  skipReasons: z
    .record(z.string(), z.number().int())
    .describe('skipped records by the reason the map gave (`{ skip: "reason" }`); reasonless skips are not listed'),
  rejected: z.number().int(),
  note: z.string().nullable(),
});

const backfillReadiness = {
  job: z.string(),
  complete: z.boolean(),
  phase: z.enum(['complete', 'running', 'interrupted', 'pending']),
  reason: z.string().describe('why the job is not complete, or when it completed'),
  itemsDone: z.number().int(),
  itemsFailed: z.number().int(),
  rowsDone: z.number().int(),
  rejected: z.number().int(),
  rejectsFile: z.string().nullable(),
  lastWatermark: z.string().nullable(),
  lastSuccessAt: z.string().nullable(),
  lease: z.strictObject({ owner: z.string(), expiresAt: z.string() }).nullable().describe('the process holding the job, if any'),
};

const pruneStore = z.strictObject({
  store: z.string(),
  file: z.string(),
  dryRun: z.boolean(),
  tables: z.array(
    z.strictObject({
      table: z.string(),
      byAge: z.number().int().describe('rows deleted (dry run: that would be) for being older than maxAge'),
      byCount: z.number().int().describe('… for being beyond maxRows'),
      rowsLeft: z.number().int(),
      batches: z.number().int(),
      complete: z.boolean().describe('the table got to its policy (false: a time budget ran out first)'),
    }),
  ),
  pagesFreed: z.number().int().nullable().describe('pages given back by incremental vacuum, or null (see note)'),
  note: z.string().nullable(),
  complete: z.boolean().describe('every table got to its policy'),
  elapsedMs: z.number(),
});

export const JSON_DOCUMENTS = {
  init: z.strictObject({
    schema: schemaField('init'),
    created: z.array(z.string()).describe('the files written, relative to the folder'),
    next: z.array(z.strictObject({ command: z.string(), why: z.string() })),
  }),
  status: z.strictObject({ schema: schemaField('status'), stores: z.array(storeStatus) }),
  migrate: migrateDocument('migrate'),
  redo: migrateDocument('redo'),
  lint: z.strictObject({
    schema: schemaField('lint'),
    ok: ok.describe('no errors'),
    stores: z.array(
      z.strictObject({
        store: z.string(),
        database: z.string().nullable().describe('the DB whose schema the files were judged against (null: an empty schema)'),
        linted: z.array(ref),
        notLinted: z.array(z.strictObject({ version: z.number().int(), name: z.string(), reason: z.string() })).describe('code migrations'),
        findings: z.array(lintFinding),
        errors: z.number().int(),
        warnings: z.number().int(),
      }),
    ),
  }),
  new: z.strictObject({ schema: schemaField('new'), store: z.string(), version: z.number().int(), file: z.string() }),
  baseline: z.strictObject({
    schema: schemaField('baseline'),
    ok,
    store: z.string(),
    file: z.string(),
    engine: z.enum(['sqlite', 'postgres']),
    version: z.number().int().describe('the baseline stands for every migration up to it'),
    out: z.string().describe('the baseline file'),
    written: z.boolean(),
    objects: z.array(z.strictObject({ type: z.string(), name: z.string() })),
    config: z.strictObject({ file: z.string(), version: z.number().int() }).describe("what to put in the store's `baseline`"),
    covers: z.array(z.string()).describe('the files the baseline covers'),
    text: z.string(),
  }),
  adopt: z.strictObject({
    schema: schemaField('adopt'),
    ok,
    store: z.string(),
    file: z.string(),
    from: z.string().describe('the tool whose history was read'),
    table: z.string(),
    dryRun: z.boolean(),
    alreadyAdopted: z.boolean(),
    adopted: z.array(z.strictObject({ version: z.number().int(), name: z.string(), checked: z.string().nullable() })),
    pending: z.array(ref),
    notes: z.array(z.string()),
  }),
  import: z.strictObject({
    schema: schemaField('import'),
    ok,
    plan: z.string(),
    store: z.string(),
    file: z.string(),
    dryRun: z.boolean(),
    mode: z.enum(['insert', 'upsert']),
    created: z.boolean().describe('the DB was created by this run'),
    migrated: migrateStore.nullable().describe('migrations this run applied, as in `cairn.migrate/1`'),
    sources: z.record(z.string(), sourceSummary).describe('by source name'),
    tables: z.record(z.string(), tableCounts).describe('by table'),
    copies: z
      .record(z.string(), z.strictObject({ copied: z.number().int(), alreadyPresent: z.number().int(), skipped: z.number().int(), failed: z.number().int() }))
      .describe('files put in place, by label'),
    rejected: z.number().int(),
    rejectsFile: z.string().nullable(),
    rejectSamples: z.array(rejectSample),
    elapsedMs: z.number(),
    rowsPerSecond: z.number(),
    warnings: z.array(z.string()),
    stopped: z.boolean().describe('stopped (Ctrl-C) before every source was read'),
  }),
  backfill: z.strictObject({
    schema: schemaField('backfill'),
    ok,
    job: z.string(),
    store: z.string(),
    file: z.string(),
    outcome: z.enum(['complete', 'already-complete', 'stopped', 'busy']),
    holder: z.strictObject({ owner: z.string(), expiresAt: z.string() }).nullable().describe('the lease holder, when busy'),
    items: z.record(z.string(), z.number().int()).describe('listed, unchanged, new, resumed, grown, changed, retried, failed, missing'),
    tables: z.record(z.string(), tableCounts),
    rejected: z.number().int(),
    rejectsFile: z.string().nullable(),
    rejectSamples: z.array(rejectSample),
    lastWatermark: z.string().nullable(),
    warnings: z.array(z.string()),
    elapsedMs: z.number(),
    rowsPerSecond: z.number(),
  }),
  'backfill-status': z.strictObject({
    schema: schemaField('backfill-status'),
    ok: ok.describe('every job complete with no failed item'),
    jobs: z.array(
      z.strictObject({
        ...backfillReadiness,
        store: z.string(),
        declared: z.boolean().describe("named in the config's `backfills`"),
        failedItems: z.array(z.strictObject({ file: z.string(), error: z.string() })),
      }),
    ),
  }),
  doctor: z.strictObject({ schema: schemaField('doctor'), ...doctorFields }),
  verify: z.strictObject({ schema: schemaField('verify'), ...doctorFields }),
  tail: z.strictObject({
    schema: schemaField('tail'),
    store: z.string(),
    table: z.string(),
    row: z.record(z.string(), z.unknown()).describe('the row, column by column, as stored (a blob as { base64 })'),
  }),
  sql: z.strictObject({
    schema: schemaField('sql'),
    store: z.string(),
    columns: z.array(z.string()),
    rows: z.array(z.array(z.unknown())).describe('each row an array in column order'),
    changes: z.number().int().nullable().describe('rows a statement without a result changed'),
    write: z.boolean(),
  }),
  prune: z.strictObject({ schema: schemaField('prune'), ok, dryRun: z.boolean(), stores: z.array(pruneStore) }),
  export: z.strictObject({ schema: schemaField('export'), ok, ...exportResult.shape }),
  restore: z.strictObject({ schema: schemaField('restore'), ok: ok.describe('every row read back equal'), ...restoreResult.shape }),
  cutover: z.strictObject({
    schema: schemaField('cutover'),
    ok,
    store: z.string(),
    file: z.string(),
    dryRun: z.boolean(),
    snapshot: z.string(),
    previous: z.string().nullable().describe('where the old file was kept'),
    export: exportResult.describe('the export phase, as in `cairn.export/1` (without schema and ok)'),
    restore: restoreResult.describe('the restore phase, as in `cairn.restore/1` (without schema and ok)'),
    schemaVersion: z.number().int().nullable(),
    quickCheck: z.array(z.string()),
    swapped: z.boolean(),
    next: z.array(z.string()),
    elapsedMs: z.number(),
  }),
  'cutover-into': z.strictObject({
    schema: schemaField('cutover-into'),
    ok,
    move: z.strictObject({ from: z.string(), into: z.string(), at: z.string(), rows: z.number().int() }),
    snapshot: z.string(),
    export: exportResult.describe('the export phase, as in `cairn.export/1` (without schema and ok)'),
    restore: restoreResult.describe('the restore into the server, as in `cairn.restore/1` (without schema and ok)'),
    next: z.array(z.string()),
  }),
  error: z.strictObject({
    schema: schemaField('error'),
    ok: z.literal(false),
    error: z.strictObject({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
  }),
} satisfies Record<JsonKind, z.ZodType>;

/** The command line that prints each kind, for docs/json.md. */
export const JSON_PRODUCERS: Record<JsonKind, string> = {
  init: 'cairn init --json',
  status: 'cairn status --json',
  migrate: 'cairn migrate --json (also with --dry-run, --to, --recover …)',
  redo: 'cairn redo --json: the same fields as cairn.migrate/1',
  lint: 'cairn lint --json',
  new: 'cairn new NAME --json',
  baseline: 'cairn baseline --json',
  adopt: 'cairn adopt --from TOOL --json',
  import: 'cairn import PLAN --json',
  backfill: 'cairn backfill JOB --json',
  'backfill-status': 'cairn backfill --status --json',
  doctor: 'cairn doctor --json (the report runDoctor() returns)',
  verify: 'cairn verify --json: the same fields as cairn.doctor/1',
  tail: 'cairn tail TABLE --json: one document per row, one per line (JSON lines), also under --follow',
  sql: 'cairn sql STORE QUERY --json',
  prune: 'cairn prune --json',
  export: 'cairn export --json',
  restore: 'cairn restore --json',
  cutover: 'cairn cutover --json',
  'cutover-into': 'cairn cutover --into PGSTORE --json',
  error: 'any command run with --json that stops with an error (exit 2, 64, 70 …), on stdout; the message is on stderr too',
};
