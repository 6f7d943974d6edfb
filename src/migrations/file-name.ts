// Alone in its module: the startup fingerprint (fingerprint.ts) needs it without loading the parser.

/** The files a migrations folder holds: SQL, and TS/JS modules exporting up(db) (never a `.d.ts`). */
export function isMigrationFileName(name: string): boolean {
  const lower = name.toLowerCase();
  return /\.(sql|ts|mts|mjs|js)$/.test(lower) && !/\.d\.(m)?ts$/.test(lower);
}
