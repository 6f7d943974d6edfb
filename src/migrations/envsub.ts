/**
 * `-- +goose ENVSUB ON` variable substitution, the subset of shell expansion
 * goose supports: $NAME, ${NAME}, ${NAME:-default}, ${NAME-default},
 * ${NAME:=default}, ${NAME=default}, ${NAME:?message}, ${NAME?message}.
 * A `$` not followed by a name (as in `$$` or `$1`) stays as written.
 */
export type Env = Readonly<Record<string, string | undefined>>;

const PATTERN = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-=?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

export class EnvsubError extends Error {}

export function substituteEnv(text: string, env: Env): string {
  return text.replace(PATTERN, (_match, braced?: string, colon?: string, op?: string, word?: string, bare?: string) => {
    const name = (braced ?? bare) as string;
    const value = env[name];
    if (!op) return value ?? '';
    // With ':' an empty value counts as unset, as in the shell.
    const missing = colon ? value === undefined || value === '' : value === undefined;
    if (!missing) return value as string;
    if (op === '?') throw new EnvsubError(`$${name}: ${word || 'parameter null or not set'}`);
    return word ?? '';
  });
}
