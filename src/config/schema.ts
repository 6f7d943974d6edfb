import { z } from 'zod';

/** The shape of cairn.config.(json|mjs|ts). Unknown keys are errors: a typo must not be ignored. */
const pragmaValue = z.union([z.string(), z.number(), z.boolean()]);

const storeSchema = z
  .object({
    file: z.string().min(1),
    /** The folder of the store's migration files, or false for a store cairn does not migrate (never left out: a typo must not mean "none"). */
    migrations: z.union([z.string().min(1), z.literal(false)], {
      error: (issue) => (issue.input === undefined ? 'required: the folder of its migration files, or false for a store with none' : undefined),
    }),
    pragmas: z.record(z.string().regex(/^[a-z_]+$/, 'pragma names are lower_case'), pragmaValue).optional(),
    baseline: z
      .object({ file: z.string().min(1), version: z.number().int().nonnegative() })
      .strict()
      .optional(),
    allowOutOfOrder: z.boolean().optional(),
    backups: z.union([z.literal(false), z.object({ keep: z.number().int().min(1).max(100) }).strict()]).optional(),
    lockTimeoutMs: z.number().int().nonnegative().optional(),
    /** `goose`: also keep goose_db_version in step, so goose (or an app reading it) sees the DB as up to date. */
    history: z.enum(['cairn', 'goose']).optional(),
  })
  .strict();

export const configSchema = z
  .object({
    home: z.string().min(1).optional(),
    stores: z
      .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'store names start with a letter: letters, digits, _ and -'), storeSchema)
      .refine((stores) => Object.keys(stores).length > 0, 'declare at least one store'),
    imports: z.record(z.string(), z.string()).optional(),
    backfills: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export type StoreConfig = z.input<typeof storeSchema>;
export type CairnConfig = z.input<typeof configSchema>;

/** Zod issues rendered as `key.path: what is wrong`, one per line. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
      return `${where}: ${issue.message}`;
    })
    .join('\n');
}
