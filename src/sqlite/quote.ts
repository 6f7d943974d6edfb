/** The one place identifiers are quoted: nothing user-supplied reaches SQL text raw. */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new TypeError(`Identifier ${JSON.stringify(name)} contains a NUL byte`);
  return `"${name.replaceAll('"', '""')}"`;
}

/** A string literal, for the few statements that cannot take a bound parameter (VACUUM INTO). */
export function quoteLiteral(value: string): string {
  if (value.includes('\u0000')) throw new TypeError(`Literal ${JSON.stringify(value)} contains a NUL byte`);
  return `'${value.replaceAll("'", "''")}'`;
}
