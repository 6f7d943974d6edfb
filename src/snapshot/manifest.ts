import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../config/schema.js';
import { CairnError } from '../errors.js';
import { HISTORY_TABLES } from '../migrations/history.js';
import { FALLBACKS_TABLE } from '../backfill/fallbacks.js';
import { FILE_MODE } from '../sqlite/files.js';
import { plural } from '../words.js';

/**
 * The sidecar manifest of a snapshot folder. It is written last, so a
 * folder without one is an export that did not finish; every data file is
 * named here with its row count and SHA-256, so nothing is restored from a
 * file that changed after export.
 */
export const MANIFEST_FILE = 'manifest.json';

/**
 * Tables a snapshot never carries: cairn's migration history (with the
 * applied texts and accepted edits), which every target builds for itself, and
 * the counts of reads that fell back to files, which describe one machine's app.
 */
export function carriedInSnapshot(table: string): boolean {
  return !HISTORY_TABLES.has(table) && table !== FALLBACKS_TABLE;
}
export const SNAPSHOT_FORMAT = 'cairn-snapshot';
export const SNAPSHOT_FORMAT_VERSION = 1;

const columnSchema = z
  .object({
    name: z.string(),
    /** Declared type, as written in the schema (may be empty). */
    type: z.string(),
    notNull: z.boolean(),
    /** 1-based position in the primary key, 0 when not part of it. */
    pk: z.number().int().nonnegative(),
  })
  .strict();

const tableSchema = z
  .object({
    name: z.string().min(1),
    /** The data file, relative to the snapshot folder. */
    file: z.string().regex(/^[^/\\]+\.jsonl$/, 'a .jsonl file name inside the snapshot folder'),
    rows: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** The order of the values on every line. */
    columns: z.array(columnSchema).min(1),
  })
  .strict();

const manifestSchema = z
  .object({
    format: z.literal(SNAPSHOT_FORMAT),
    formatVersion: z.literal(SNAPSHOT_FORMAT_VERSION),
    store: z.string(),
    source: z.string(),
    /** Newest applied migration of the source, null when it had no cairn history. */
    schemaVersion: z.number().int().nullable(),
    legacyChain: z.boolean(),
    createdAt: z.string(),
    cairnVersion: z.string(),
    /** The engine the store was exported from; absent in snapshots from before PostgreSQL stores (SQLite). */
    engine: z.enum(['sqlite', 'postgres']).optional(),
    /** The SQLite library's version, for a SQLite source. */
    sqliteVersion: z.string().optional(),
    /** The server's version, for a PostgreSQL source. */
    serverVersion: z.string().optional(),
    /** Parents before children: the order restore inserts in. */
    tables: z.array(tableSchema),
    /** AUTOINCREMENT counters (sqlite_sequence), so restored tables never reuse an id. */
    sequences: z.record(z.string(), z.number().int()),
    /** Tables not exported, each with why (virtual tables and their shadow tables). */
    skipped: z.array(z.object({ name: z.string(), kind: z.enum(['virtual', 'shadow']), reason: z.string() }).strict()),
  })
  .strict();

export type SnapshotManifest = z.infer<typeof manifestSchema>;
export type SnapshotTable = SnapshotManifest['tables'][number];
export type SnapshotColumn = SnapshotTable['columns'][number];

export function readManifest(dir: string): SnapshotManifest {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? fs.existsSync(dir)
          ? `${dir} has no ${MANIFEST_FILE}: the export did not finish (the manifest is written last), or this is not a cairn snapshot. Export again`
          : `${dir} does not exist`
        : `${file} cannot be read (${code})`;
    throw new CairnError('E_SNAPSHOT', why, { dir }, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CairnError(
      'E_SNAPSHOT',
      `${file} is not valid JSON (${(error as Error).message}); the snapshot is damaged: export again`,
      { file },
      { cause: error },
    );
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new CairnError('E_SNAPSHOT', `${file} is not a cairn snapshot manifest this version reads:\n${describeIssues(parsed.error)}`, {
      file,
      issues: parsed.error.issues,
    });
  }
  return parsed.data;
}

/** Writes the manifest atomically (temp file, fsync, rename), then syncs the folder so the rename survives a crash. */
export function writeManifest(dir: string, manifest: SnapshotManifest): string {
  const file = path.join(dir, MANIFEST_FILE);
  const temp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(temp, 'w', FILE_MODE);
  try {
    fs.writeSync(fd, JSON.stringify(manifest, null, 2) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  syncDir(dir);
  return file;
}

export function syncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open or fsync a folder; the rename is still atomic there.
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** What a data file holds on disk: its SHA-256, its size and how many lines. */
export function fileDigest(file: string): { sha256: string; bytes: number; lines: number } {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buffer = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  let lines = 0;
  try {
    for (;;) {
      const read = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      const chunk = buffer.subarray(0, read);
      hash.update(chunk);
      bytes += read;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { sha256: hash.digest('hex'), bytes, lines };
}

/**
 * Checks every data file against the manifest before anything reads it:
 * a missing file, a changed size, a different hash or row count is a
 * refusal naming the file.
 */
export function verifySnapshotFiles(dir: string, manifest: SnapshotManifest): void {
  for (const table of manifest.tables) {
    const file = path.join(dir, table.file);
    // The manifest names plain files in the folder (its schema forbids separators); a link out of it is never followed.
    const entry = fs.lstatSync(file, { throwIfNoEntry: false });
    if (entry && !entry.isFile()) {
      throw new CairnError('E_SNAPSHOT', `${file} is not a regular file in the snapshot folder (a link or a folder); nothing was written`, {
        file,
        table: table.name,
      });
    }
    if (!entry) {
      throw new CairnError('E_SNAPSHOT_CHECKSUM', `${file} is missing: the snapshot lists it for table ${table.name}. Nothing was written`, {
        file,
        table: table.name,
      });
    }
    const digest = fileDigest(file);
    if (digest.sha256 !== table.sha256 || digest.bytes !== table.bytes || digest.lines !== table.rows) {
      throw new CairnError(
        'E_SNAPSHOT_CHECKSUM',
        `${file} does not match the snapshot's manifest (expected ${plural(table.rows, 'row')}, ${plural(table.bytes, 'byte')}, sha256 ${table.sha256.slice(0, 12)}…; found ${plural(digest.lines, 'row')}, ${plural(digest.bytes, 'byte')}, sha256 ${digest.sha256.slice(0, 12)}…): it changed after export. Nothing was written; restore from an intact copy or export again`,
        { file, table: table.name, expected: { rows: table.rows, bytes: table.bytes, sha256: table.sha256 }, found: digest },
      );
    }
  }
}
