/**
 * `-- +goose ENVSUB ON` variable substitution, exactly as goose does it
 * (goose runs github.com/mfridman/interpolate on each line while ENVSUB is
 * on). A recursive descent over this grammar, since defaults nest
 * (`${B:-${A}}`):
 *
 *   Text       = { "\\" | "\$" | "$$" | "$(" | any character but "$" }
 *   Expansion  = "$" Identifier | "${" Identifier [ Operation ] "}"
 *   Operation  = ":-" Expression      value, or Expression when unset or empty
 *              | "-" Expression       value, or Expression when unset
 *              | "?" Expression       value, or an error (Expression is the message) when unset
 *              | ":" offset [ ":" length ]   a substring (negative counts from the end)
 *   Identifier = a letter, then letters, digits and "_"
 *
 * `\$` and `$$` write a `$`; `\\` stays as written; `$(` and a `$` ending the
 * line stay. Anything else after `$` (a digit, `:=`, an unclosed brace) is an
 * error, as in goose: better refused than run with half a substitution.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export class EnvsubError extends Error {}

export function substituteEnv(text: string, env: Env): string {
  const parser = new Parser(text, env);
  return parser.expression('');
}

class Parser {
  private pos = 0;

  constructor(
    private readonly input: string,
    private readonly env: Env,
  ) {}

  /** Text and expansions up to one of `stop` (or the end), expanded. */
  expression(stop: string): string {
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined || stop.includes(c)) return out;
      const at = (prefix: string): boolean => this.input.startsWith(prefix, this.pos);
      if (at('\\\\')) {
        out += '\\\\';
        this.pos += 2;
      } else if (at('\\$') || at('$$')) {
        out += '$';
        this.pos += 2;
      } else if (at('$(')) {
        out += '$(';
        this.pos += 2;
      } else if (c === '$' && this.pos < this.input.length - 1) {
        out += this.expansion();
      } else {
        // One character (a lone `\`, a final `$`), then as much plain text as there is.
        const start = this.pos;
        this.pos += c.length;
        while (this.pos < this.input.length && !'$\\'.includes(this.input[this.pos] as string) && !stop.includes(this.input[this.pos] as string)) this.pos++;
        out += this.input.slice(start, this.pos);
      }
    }
  }

  private expansion(): string {
    this.pos++; // the $
    if (this.peek() !== '{') return this.value(this.identifier());
    this.pos++;
    const name = this.identifier();
    const op = this.next();
    if (op === '}') return this.value(name);
    let result: string;
    if (op === ':' && this.peek() === '-') {
      this.pos++;
      const fallback = this.expression('}');
      result = this.value(name) === '' ? fallback : this.value(name);
    } else if (op === ':') {
      result = this.substring(name);
    } else if (op === '-') {
      const fallback = this.expression('}');
      result = this.env[name] === undefined ? fallback : this.value(name);
    } else if (op === '?') {
      const message = this.expression('}');
      if (this.env[name] === undefined) throw new EnvsubError(`$${name}: ${message || 'not set'}`);
      result = this.value(name);
    } else {
      throw new EnvsubError(`\${${name}…}: expected an operator (:- - ? :), got ${op === undefined ? 'the end of the line' : JSON.stringify(op)}`);
    }
    const close = this.next();
    if (close !== '}') throw new EnvsubError(`\${${name}…}: expected }, got ${close === undefined ? 'the end of the line' : JSON.stringify(close)}`);
    return result;
  }

  /** `${NAME:offset}` / `${NAME:offset:length}`, bash's rules for negative numbers (as interpolate applies them). */
  private substring(name: string): string {
    const value = this.value(name);
    const offset = this.integer(':}', 'offset');
    let from = offset < 0 ? Math.max(0, offset + value.length) : Math.min(offset, value.length);
    from = Math.min(from, value.length);
    if (this.peek() === '}') return value.slice(from);
    this.pos++; // the second ':'
    const length = this.integer('}', 'length');
    let to = length >= 0 ? from + length : Math.max(from, length + value.length);
    to = Math.min(to, value.length);
    return value.slice(from, to);
  }

  private integer(stop: string, what: string): number {
    const start = this.pos;
    while (this.pos < this.input.length && !stop.includes(this.input[this.pos] as string)) this.pos++;
    const text = this.input.slice(start, this.pos).trim();
    if (!/^[+-]?\d+$/.test(text)) throw new EnvsubError(`unable to parse ${what} ${JSON.stringify(text)}: expected a whole number`);
    return Number(text);
  }

  private identifier(): string {
    const match = /^\p{L}[\p{L}\p{N}_]*/u.exec(this.input.slice(this.pos));
    if (!match) {
      const got = this.peek();
      throw new EnvsubError(`expected a variable name starting with a letter after $, got ${got === undefined ? 'the end of the line' : JSON.stringify(got)}`);
    }
    this.pos += match[0].length;
    return match[0];
  }

  private value(name: string): string {
    return this.env[name] ?? '';
  }

  private peek(): string | undefined {
    const c = this.input.codePointAt(this.pos);
    return c === undefined ? undefined : String.fromCodePoint(c);
  }

  private next(): string | undefined {
    const c = this.peek();
    if (c !== undefined) this.pos += c.length;
    return c;
  }
}
