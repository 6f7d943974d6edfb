import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CairnError } from '../errors.js';
import { ensurePrivateDir, FILE_MODE } from '../sqlite/files.js';
import { MANIFEST_FILE } from './manifest.js';

// The parts of writing a snapshot folder every engine shares: the folder,
// file names, and a data file written in chunks, hashed as written, fsynced.

const FLUSH_BYTES = 1 << 20;

/** One data file of a snapshot: lines pushed in order, flushed in ~1 MB chunks. */
export class LineFileWriter {
  private readonly fd: number;
  private readonly hash = crypto.createHash('sha256');
  private pending: string[] = [];
  private pendingLength = 0;
  rows = 0;
  bytes = 0;

  constructor(
    readonly file: string,
    private readonly onFlush?: (rows: number) => void,
  ) {
    this.fd = fs.openSync(file, 'w', FILE_MODE);
  }

  push(line: string): void {
    this.pending.push(line);
    this.pendingLength += line.length;
    this.rows += 1;
    if (this.pendingLength >= FLUSH_BYTES) this.flush();
  }

  /** Lines already encoded, each ending in a newline (CopyTextToLines's blocks of about 1 MB), written at once. */
  pushBlock(lines: Buffer, rows: number): void {
    this.flush();
    this.hash.update(lines);
    for (let at = 0; at < lines.length;) at += fs.writeSync(this.fd, lines, at);
    this.bytes += lines.length;
    this.rows += rows;
    this.onFlush?.(this.rows);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const chunk = Buffer.from(this.pending.join('\n') + '\n', 'utf8');
    this.hash.update(chunk);
    fs.writeSync(this.fd, chunk);
    this.bytes += chunk.length;
    this.pending = [];
    this.pendingLength = 0;
    this.onFlush?.(this.rows);
  }

  /** Flushes, fsyncs and closes; the file's row count, size and SHA-256. */
  finish(): { rows: number; bytes: number; sha256: string } {
    try {
      this.flush();
      fs.fsyncSync(this.fd);
    } finally {
      fs.closeSync(this.fd);
    }
    return { rows: this.rows, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  /** Closes without finishing (the export failed; the manifest is never written, so the folder is not a snapshot). */
  abandon(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

/** One file name per table: readable, safe on every file system, unique even where names differ only in case. */
export function snapshotFileNames(tables: string[]): Map<string, string> {
  const used = new Set<string>();
  const names = new Map<string, string>();
  for (const table of tables) {
    const base = table.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_') || 'table';
    let candidate = `${base}.jsonl`;
    for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${base}-${n}.jsonl`;
    used.add(candidate.toLowerCase());
    names.set(table, candidate);
  }
  return names;
}

/** The out folder must be new or empty; `force` replaces an earlier snapshot, never other files. */
export function prepareOutDir(dir: string, force: boolean): void {
  if (fs.existsSync(dir)) {
    const entries = fs.readdirSync(dir);
    if (entries.length > 0) {
      const isSnapshot = entries.includes(MANIFEST_FILE) || entries.every((e) => e.endsWith('.jsonl'));
      if (!force || !isSnapshot) {
        throw new CairnError(
          'E_TARGET_EXISTS',
          force
            ? `${dir} holds files that are not a cairn snapshot; choose an empty folder with --out`
            : `${dir} is not empty; choose another folder with --out, or pass --force to replace the snapshot in it`,
          { dir },
        );
      }
      // The manifest goes first: a folder caught half-replaced must not pass for a finished snapshot.
      fs.rmSync(path.join(dir, MANIFEST_FILE), { force: true });
      for (const entry of entries) if (entry.endsWith('.jsonl')) fs.rmSync(path.join(dir, entry), { force: true });
    }
  }
  ensurePrivateDir(dir);
}

/** After a stopped or failed export: its data files go (the manifest was never written), and the folder too when the export made it. */
export function removePartialSnapshot(dir: string, files: Iterable<string>, folderExisted: boolean): void {
  for (const file of files) fs.rmSync(path.join(dir, file), { force: true });
  if (!folderExisted) fs.rmSync(dir, { recursive: true, force: true });
}
