import { createRequire } from 'node:module';

// node:crypto costs a few ms to load; status on an up-to-date store and the
// planner only format checksums, so it is loaded on the first hash instead.
const require = createRequire(import.meta.url);
let createHash: typeof import('node:crypto').createHash | undefined;

/** Line endings normalized first, so a CRLF checkout of the same file is not "edited". */
export function normalizeLineEndings(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

const BOM = '\uFEFF';

/**
 * sha256 hex of the file's text with line endings normalized and a leading
 * byte-order mark dropped: an editor that adds a BOM, like a CRLF checkout,
 * has not edited the migration.
 */
export function checksum(text: string): string {
  return sha256(normalizeLineEndings(text.startsWith(BOM) ? text.slice(1) : text));
}

/**
 * The checksum an earlier release recorded for a file that starts with a
 * BOM (it hashed the BOM too), so a DB migrated then is not refused as
 * edited now; null for a file without one.
 */
export function checksumWithBom(text: string): string | null {
  return text.startsWith(BOM) ? sha256(normalizeLineEndings(text)) : null;
}

function sha256(text: string): string {
  createHash ??= (require('node:crypto') as typeof import('node:crypto')).createHash;
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * A migration file's text, refused when it is not valid UTF-8: decoding
 * would turn every bad byte into U+FFFD, and an edit to such a byte would
 * then leave the checksum as it was.
 */
export function decodeUtf8(bytes: Buffer, file: string, onInvalid: (message: string) => Error): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw onInvalid(`${file}: not valid UTF-8 at byte ${firstInvalidByte(bytes)}; save the file as UTF-8`);
  }
}

/** The offset of the first byte that does not belong to a well-formed UTF-8 sequence. */
function firstInvalidByte(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (length === 0) return i;
    const slice = bytes.subarray(i, i + length);
    if (slice.length < length) return i;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(slice);
    } catch {
      return i;
    }
    i += length;
  }
  return i;
}

export function shortChecksum(sum: string): string {
  return sum.slice(0, 12);
}
