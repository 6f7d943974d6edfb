import fs from 'node:fs';
import { CopyTextToLines } from './copy-to-lines.js';
import type { PgSession } from './session.js';
import type { PgSnapshotColumn } from './snapshot-lines.js';

/**
 * The quick proof that a table holds a same-engine snapshot's rows: its rows,
 * streamed by COPY and made into lines as export makes them, are the data
 * file's bytes exactly. Equal bytes mean equal lines, so `equal: true` is the
 * answer; anything else (a difference, or a file written another way) is
 * left to the line-by-line comparison, which says where.
 */
export async function sameBytesAsFile(
  session: PgSession,
  plainSelect: string,
  table: string,
  columns: readonly PgSnapshotColumn[],
  file: string,
): Promise<{ equal: boolean; rows: number }> {
  const fd = fs.openSync(file, 'r');
  let position = 0;
  let rows = 0;
  let equal = true;
  let expected = Buffer.alloc(0);
  const lines = new CopyTextToLines(table, columns, (block, n) => {
    rows += n;
    if (expected.length < block.length) expected = Buffer.allocUnsafe(block.length);
    const read = readFully(fd, expected, block.length, position);
    position += read;
    if (read !== block.length || !block.equals(expected.subarray(0, read))) equal = false;
  });
  try {
    // After a difference the COPY is still read to its end (the session serves the next statement), but not converted.
    for await (const chunk of session.copyChunks(`COPY (${plainSelect}) TO STDOUT`)) if (equal) lines.push(chunk);
    if (equal) lines.end();
    if (equal && fs.readSync(fd, Buffer.alloc(1), 0, 1, position) !== 0) equal = false;
  } finally {
    fs.closeSync(fd);
  }
  return { equal, rows };
}

function readFully(fd: number, into: Buffer, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, into, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
