/** How a snapshot column's numbers compare across engines: as doubles (a float column), or as exact decimals (everything else). */
export type NumberKind = 'double' | 'exact';

/** `double` for a column declared as a floating-point type on either engine. */
export function numberKindOf(declaredType: string): NumberKind {
  return /real|double|float/i.test(declaredType) ? 'double' : 'exact';
}

/**
 * Whether two snapshot lines hold the same row when they come from
 * different engines. Text must match exactly, as between two SQLite files;
 * only numbers are compared by value, since each engine prints a number its
 * own way: a float column's as the same double (PostgreSQL's `5e-324` is
 * SQLite's `4.9406564584124654e-324`), any other as the same exact decimal
 * (numeric `123.4500000000` is `123.45`). A decimal the target could not
 * hold exactly (a numeric beyond a double's 17 digits stored in a REAL)
 * therefore differs, and is reported.
 */
export function sameRowAcrossEngines(expected: string, actual: string, kinds: readonly NumberKind[]): boolean {
  if (expected === actual) return true;
  const a = splitLine(expected);
  const b = splitLine(actual);
  if (!a || !b || a.length !== b.length) return false;
  return a.every((value, i) => value === b[i] || (kinds[i] === 'double' ? sameDouble(value, b[i]!) : sameNumber(value, b[i]!)));
}

/** Two JSON number texts that read as the same double (SQLite's 9.0e+999 is Infinity: JSON numbers overflow to it too). */
function sameDouble(a: string, b: string): boolean {
  if (!NUMBER.test(a) || !NUMBER.test(b)) return false;
  return Number(a) === Number(b);
}

/** The raw JSON text of each element of a one-line JSON array, or null when it is not one. */
export function splitLine(line: string): string[] | null {
  if (!line.startsWith('[') || !line.endsWith(']')) return null;
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 1;
  for (let i = 1; i < line.length - 1; i++) {
    const ch = line[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(line.slice(start, i));
      start = i + 1;
    }
  }
  if (line.length > 2) out.push(line.slice(start, line.length - 1));
  return out;
}

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Two JSON number texts with the same exact decimal value (-0 and 0 are the same, as both engines compare them). */
export function sameNumber(a: string, b: string): boolean {
  const x = decimal(a);
  const y = decimal(b);
  return x !== null && y !== null && x === y;
}

/** A canonical form of a decimal number's value: sign, significant digits, exponent. */
function decimal(text: string): string | null {
  const m = NUMBER.exec(text);
  if (!m) return null;
  const fraction = m[3] ?? '';
  let digits = (m[2]! + fraction).replace(/^0+/, '');
  if (digits === '') return '0';
  let exponent = BigInt(m[4] ?? '0') - BigInt(fraction.length);
  const trailing = digits.length - digits.replace(/0+$/, '').length;
  digits = digits.slice(0, digits.length - trailing);
  exponent += BigInt(trailing);
  return `${m[1]}${digits}e${exponent}`;
}
