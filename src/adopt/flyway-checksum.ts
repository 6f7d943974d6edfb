/**
 * Flyway's checksum of a migration script: CRC-32 over the UTF-8 bytes of
 * each line without its line break (Java's BufferedReader.readLine, so CRLF
 * and LF give the same value), a byte-order mark dropped from the first
 * line, read as a signed 32-bit int as Java's `(int) crc32.getValue()` does.
 * Lines fed one after another are the text with its breaks taken out.
 */
export function flywayChecksum(bytes: Buffer): number {
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text.replace(/\r\n|\r|\n/g, ''), 'utf8')) crc = (crc >>> 8) ^ (TABLE[(crc ^ byte) & 0xff] as number);
  return (crc ^ 0xffffffff) | 0;
}

// zlib.crc32 would do, but only from Node 20.15; cairn supports every Node 20.
const TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
