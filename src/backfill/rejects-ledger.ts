import fs from 'node:fs';
import path from 'node:path';
import { jsonSafe } from '../importers/rejects.js';
import { ensurePrivateDir, FILE_MODE } from '../sqlite/files.js';

/**
 * A backfill's rejects file, exact across kills. Each batch's rejects are
 * appended and synced before the batch commits, and the checkpoint records
 * the file's length; a run that starts after a kill cuts the file back to
 * the recorded length, dropping the lines of the batch that never committed
 * (that batch is read again and appends them again). So every rejected line
 * appears once, and none is lost.
 */
export class RejectsLedger {
  private fd: number | null = null;

  private constructor(
    readonly file: string,
    private length: number,
  ) {}

  /** Opens the ledger at the length the last checkpoint recorded (0 for a new file). */
  static open(file: string, committedLength: number): RejectsLedger {
    let length = 0;
    try {
      length = fs.statSync(file).size;
    } catch (error) {
      // Not created yet, or removed by the user: start a new one. Any other failure is heard.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (length > committedLength) {
      fs.truncateSync(file, committedLength);
      length = committedLength;
    }
    return new RejectsLedger(file, length);
  }

  /** Appends and syncs; returns the new length, for the checkpoint. */
  append(entries: readonly object[]): number {
    if (entries.length === 0) return this.length;
    if (this.fd === null) {
      ensurePrivateDir(path.dirname(this.file));
      this.fd = fs.openSync(this.file, 'a', FILE_MODE);
    }
    const text = entries.map((e) => JSON.stringify(e, jsonSafe) + '\n').join('');
    fs.writeSync(this.fd, text);
    fs.fsyncSync(this.fd);
    this.length += Buffer.byteLength(text);
    return this.length;
  }

  /** Takes back lines appended since `length` (a batch that is being redone). */
  truncate(length: number): void {
    if (length >= this.length) return;
    if (this.fd !== null) fs.ftruncateSync(this.fd, length);
    else fs.truncateSync(this.file, length);
    this.length = length;
  }

  get bytes(): number {
    return this.length;
  }

  close(): void {
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }
}
