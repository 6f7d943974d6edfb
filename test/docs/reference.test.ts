// The references cannot fall behind the code: every CairnError code has its
// entry in docs/errors.md with the exit status the CLI gives it, and
// docs/cli.md's command reference is what the commander program declares.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { exitCodeFor } from '../../dist/cli/exit-codes.js';
import { buildProgram } from '../../dist/cli/program.js';
import { REPO } from '../helpers.js';
import { JSON_KINDS } from '../../dist/cli/json/kinds.js';

function declaredCodes(): string[] {
  return [...fs.readFileSync(path.join(REPO, 'src', 'errors.ts'), 'utf8').matchAll(/\|\s*'(E_[A-Z_]+)'/g)].map((m) => m[1] as string);
}

describe('docs/errors.md', () => {
  it('has an entry for every CairnError code, with the exit status the CLI gives it, and none for codes that are gone', () => {
    const declared = declaredCodes();
    assert.ok(declared.length >= 29, `found ${declared.length} codes in src/errors.ts`);
    const text = fs.readFileSync(path.join(REPO, 'docs', 'errors.md'), 'utf8');
    const sections = new Map<string, string>();
    for (const part of text.split(/^### /m).slice(1)) {
      const code = /^`(E_[A-Z_]+)`/.exec(part)?.[1];
      if (code) sections.set(code, part);
    }
    for (const code of declared) {
      const section = sections.get(code);
      assert.ok(section, `${code} has no entry in docs/errors.md`);
      const exit = /^Exit (\d+)\./m.exec(section)?.[1];
      assert.equal(Number(exit), exitCodeFor(code), `${code}: docs/errors.md says exit ${exit}, the CLI gives ${exitCodeFor(code)}`);
      assert.match(section, /\*\*Do:\*\*/, `${code}: the entry says what to do`);
    }
    for (const code of sections.keys()) assert.ok(declared.includes(code), `docs/errors.md documents ${code}, which the code no longer has`);
  });
});

describe('docs/cli.md', () => {
  it('is the reference the program generates (node scripts/cli-reference.mjs rewrites it)', async () => {
    const { cliReference, withReference, CLI_DOC } = (await import(pathToFileURL(path.join(REPO, 'scripts', 'cli-reference.mjs')).href)) as {
      cliReference(): Promise<string>;
      withReference(text: string, generated: string): Promise<string>;
      CLI_DOC: string;
    };
    const current = fs.readFileSync(CLI_DOC, 'utf8');
    assert.equal(await withReference(current, await cliReference()), current, 'docs/cli.md is stale: run node scripts/cli-reference.mjs');
  });

  it('names every command and every flag of each (checked apart from the generator)', async () => {
    const text = fs.readFileSync(path.join(REPO, 'docs', 'cli.md'), 'utf8');
    const program = await buildProgram({ stdout: process.stdout, stderr: process.stderr, env: {}, cwd: REPO }, () => {});
    assert.ok(program.commands.length >= 14);
    for (const command of program.commands) {
      const at = text.indexOf(`## cairn ${command.name()}\n`);
      assert.ok(at >= 0, `cairn ${command.name()} has no section in docs/cli.md`);
      const end = text.indexOf('\n## ', at + 1);
      const section = text.slice(at, end < 0 ? undefined : end);
      for (const option of command.options) assert.ok(section.includes(option.flags), `cairn ${command.name()} ${option.flags} is missing from docs/cli.md`);
    }
    for (const option of program.options) assert.ok(text.includes(option.flags), `global ${option.flags} is missing from docs/cli.md`);
  });
});

describe('docs/json.md', () => {
  it('is the field reference the contract schemas generate (node scripts/json-reference.mjs rewrites it)', async () => {
    const { jsonReference, withReference, JSON_DOC } = (await import(pathToFileURL(path.join(REPO, 'scripts', 'json-reference.mjs')).href)) as {
      jsonReference(): Promise<string>;
      withReference(text: string, generated: string): Promise<string>;
      JSON_DOC: string;
    };
    const current = fs.readFileSync(JSON_DOC, 'utf8');
    assert.equal(await withReference(current, await jsonReference()), current, 'docs/json.md is stale: run node scripts/json-reference.mjs');
    for (const kind of JSON_KINDS) assert.ok(current.includes(`## cairn.${kind}/1\n`), `cairn.${kind}/1 has no section in docs/json.md`);
  });
});
