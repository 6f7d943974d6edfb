import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, FILE_MODE } from '../sqlite/files.js';

/**
 * An import's default rejects file, `<home>/import-<plan>-<time>.rejects.jsonl`:
 * one per run, so a re-run never mixes its rejects with an earlier run's.
 */
export function importRejectsFile(home: string, plan: string, now: Date): string {
  return path.join(home, `import-${plan}-${now.toISOString().replace(/[:.]/g, '-')}.rejects.jsonl`);
}

const IMPORT_REJECTS_NAME = /^import-(.+)-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)\.rejects\.jsonl$/;

/** The plan a default rejects file belongs to, from its base name; null for any other file. */
export function importRejectsPlanOf(basename: string): string | null {
  return IMPORT_REJECTS_NAME.exec(basename)?.[1] ?? null;
}

/**
 * The rejects file: one JSON line per input that did not make it into the
 * DB, with where it came from, why, and the raw input, so nothing is lost.
 * Created on the first reject only, so a clean run leaves no empty file.
 * A `null` path keeps rejects in memory only (dry runs).
 */
export class RejectsFile<T extends object = object> {
  private fd: number | null = null;
  private written = 0;
  /** The first few, for the report. */
  readonly samples: T[] = [];

  constructor(
    readonly file: string | null,
    private readonly sampleSize = 5,
  ) {}

  add(entry: T): void {
    this.written += 1;
    if (this.samples.length < this.sampleSize) this.samples.push(entry);
    if (this.file === null) return;
    if (this.fd === null) {
      ensurePrivateDir(path.dirname(this.file));
      this.fd = fs.openSync(this.file, 'a', FILE_MODE);
    }
    fs.writeSync(this.fd, JSON.stringify(entry, jsonSafe) + '\n');
  }

  get count(): number {
    return this.written;
  }

  /** The path, when anything was written to it. */
  get path(): string | null {
    return this.written > 0 ? this.file : null;
  }

  close(): void {
    if (this.fd !== null) {
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }
}

/** BigInts as decimal text and bytes as base64, so every reject is one valid JSON line. */
export function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return { base64: Buffer.from(value).toString('base64') };
  if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return { base64: Buffer.from((value as { data: number[] }).data).toString('base64') };
  }
  return value;
}
