import fs from 'node:fs';

export interface Line {
  /** 1-based line number. */
  number: number;
  /** The text, without its line ending. Invalid UTF-8 shows as U+FFFD here; `raw` keeps the bytes. */
  text: string;
  /** Set only when the bytes are not valid UTF-8, so nothing is lost in the rejects file. */
  raw: Buffer | null;
  /** The file's last line had no newline after it (a writer may have died mid-line). */
  unterminated: boolean;
  /** Byte offset just past this line (and its newline). */
  end: number;
}

const CHUNK = 1 << 20;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export interface ReadLinesOptions {
  /** Byte offset to start at: a line boundary recorded earlier (a `Line.end`). */
  start?: number;
  /** Lines before `start`, so numbers continue where they stopped. */
  startLine?: number;
}

/**
 * Streams a file's lines with constant memory (one chunk plus the longest
 * line), whatever the file's size. Lines are decoded one by one so a single
 * invalid byte costs one line, not the file; empty lines are skipped.
 * With `start`, reading resumes at a recorded line boundary (a backfill
 * continuing a file that grew).
 */
export function* readLines(file: string, options: ReadLinesOptions = {}): Generator<Line> {
  const fd = fs.openSync(file, 'r');
  try {
    let buffer = Buffer.allocUnsafe(CHUNK);
    let filled = 0;
    let position = options.start ?? 0;
    let consumed = position;
    let number = options.startLine ?? 0;
    const atFileStart = position === 0;
    let eof = false;
    while (!eof || filled > 0) {
      if (!eof) {
        if (filled === buffer.length) {
          // One line longer than the buffer: grow it rather than split the line.
          const bigger = Buffer.allocUnsafe(buffer.length * 2);
          buffer.copy(bigger, 0, 0, filled);
          buffer = bigger;
        }
        const read = fs.readSync(fd, buffer, filled, buffer.length - filled, position);
        if (read === 0) eof = true;
        position += read;
        filled += read;
      }
      let start = 0;
      for (;;) {
        const newline = buffer.indexOf(10, start);
        if (newline === -1 || newline >= filled) break;
        number += 1;
        consumed += newline + 1 - start;
        const line = decode(buffer, start, newline, number, false, consumed, atFileStart);
        if (line) yield line;
        start = newline + 1;
      }
      if (eof) {
        if (start < filled) {
          number += 1;
          consumed += filled - start;
          const line = decode(buffer, start, filled, number, true, consumed, atFileStart);
          if (line) yield line;
        }
        filled = 0;
        break;
      }
      buffer.copy(buffer, 0, start, filled);
      filled -= start;
    }
  } finally {
    fs.closeSync(fd);
  }
}

function decode(buffer: Buffer, start: number, end: number, number: number, unterminated: boolean, consumed: number, atFileStart: boolean): Line | null {
  let stop = end;
  if (stop > start && buffer[stop - 1] === 13) stop -= 1; // CRLF
  if (atFileStart && number === 1 && buffer[start] === 0xef && buffer[start + 1] === 0xbb && buffer[start + 2] === 0xbf) start += 3; // BOM
  if (stop <= start) return null;
  const text = buffer.toString('utf8', start, stop);
  if (text.trim() === '') return null;
  let raw: Buffer | null = null;
  // toString replaces bad bytes with U+FFFD; only then pay for a strict decode to tell a real U+FFFD from a broken byte.
  if (text.includes('\uFFFD')) {
    const bytes = buffer.subarray(start, stop);
    try {
      strictUtf8.decode(bytes);
    } catch {
      raw = Buffer.from(bytes);
    }
  }
  return { number, text, raw, unterminated, end: consumed };
}
