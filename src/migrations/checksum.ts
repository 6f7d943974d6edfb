import { createHash } from 'node:crypto';

/** Line endings normalized first, so a CRLF checkout of the same file is not "edited". */
export function normalizeLineEndings(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** sha256 hex of the file's text with line endings normalized. */
export function checksum(text: string): string {
  return createHash('sha256').update(normalizeLineEndings(text), 'utf8').digest('hex');
}

export function shortChecksum(sum: string): string {
  return sum.slice(0, 12);
}
