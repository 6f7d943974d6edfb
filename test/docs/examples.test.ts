// Every code example in the README and docs/ runs here, so the docs cannot go
// stale without a failing test. Each page is one scenario in a scratch folder:
// - a block with `file=PATH` in its info string (```json file=cairn.config.json)
//   is written there, in page order;
// - a ```sh block runs: each `$ ` line is a shell command (`cairn` is this
//   checkout's CLI, `node` resolves `cairndb` to it), ending with `# exit N`
//   when it must exit N (default 0); the lines under it are fragments its
//   output must contain (`…` stands for anything within one line);
// - any other js/ts/json/sql/sh block is an error: an example that does not run.
// ```text blocks are illustrations (a format, a report's layout) and are not run.
// A page holding `<!-- docs-test: postgres -->` gets a real PostgreSQL server
// (test/postgres/server.ts) and a fresh database's URL in CAIRN_SHARED_URL.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BIN, REPO, tempDir } from '../helpers.js';
import { startPostgres, type TestServer } from '../postgres/server.js';

export interface Block {
  lang: string;
  attrs: Record<string, string>;
  body: string;
  line: number;
}

const CODE = new Set(['js', 'mjs', 'ts', 'mts', 'json', 'sql', 'sh', 'bash', 'console']);

export function blocksOf(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    if (i >= lines.length) throw new Error(`line ${start + 1}: a code block that is never closed`);
    const attrs: Record<string, string> = {};
    for (const m of (open[2] ?? '').matchAll(/(\w+)=(\S+)/g)) attrs[m[1]!] = m[2]!;
    blocks.push({ lang: open[1] ?? '', attrs, body: body.join('\n') + '\n', line: start + 1 });
  }
  return blocks;
}

interface Command {
  line: string;
  exit: number;
  expect: string[];
}

function commandsOf(block: Block): Command[] {
  const commands: Command[] = [];
  for (const raw of block.body.split('\n')) {
    if (raw.startsWith('$ ')) {
      const exit = /#\s*exit\s+(\d+)\s*$/.exec(raw);
      commands.push({ line: raw.slice(2), exit: exit ? Number(exit[1]) : 0, expect: [] });
    } else if (raw.trim() && commands.length && !/^(…|\.\.\.)$/.test(raw.trim())) {
      commands.at(-1)!.expect.push(raw.trim());
    }
  }
  return commands;
}

/** `expected` with `…` as a wildcard, found within one line of `output`. */
function contains(output: string, expected: string): boolean {
  const parts = expected.split('…').map((p) => p.trim());
  return output.split('\n').some((line) => {
    let at = 0;
    for (const part of parts) {
      const found = line.indexOf(part, at);
      if (found < 0) return false;
      at = found + part.length;
    }
    return true;
  });
}

/** A scratch folder where `cairn`, `node` and `import 'cairndb'` are this checkout's. */
function scratch(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = tempDir('cairn-docs-');
  const bin = path.join(dir, '.bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'cairn'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`, { mode: 0o755 });
  // `npm i cairndb` is the reader's install step; the packed-tarball test runs it for real, here the link below stands in.
  fs.writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\ncase "$*" in "i cairndb"|"install cairndb") exit 0;; esac\nexec npm "$@"\n`, { mode: 0o755 });
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(REPO, path.join(dir, 'node_modules', 'cairndb'), 'dir');
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`, NO_COLOR: '1', CAIRN_HOME: '' };
  delete env.CAIRN_CONFIG;
  return { dir, env };
}

export function runPage(page: string, extraEnv: NodeJS.ProcessEnv = {}): void {
  const text = fs.readFileSync(path.join(REPO, page), 'utf8');
  const { dir, env: base } = scratch();
  const env = { ...base, ...extraEnv };
  for (const block of blocksOf(text)) {
    const where = `${page}:${block.line}`;
    if (block.attrs.file) {
      const target = path.resolve(dir, block.attrs.file);
      assert.ok(target.startsWith(dir + path.sep), `${where}: file= must stay inside the scratch folder`);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, block.body);
      continue;
    }
    if (block.lang === 'sh' || block.lang === 'console') {
      const commands = commandsOf(block);
      assert.ok(commands.length > 0, `${where}: a sh block with no "$ " command`);
      for (const command of commands) {
        const r = spawnSync('bash', ['-c', command.line], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
        const output = `${r.stdout}\n${r.stderr}`;
        assert.equal(r.status, command.exit, `${where}: \`${command.line}\` exited ${r.status}, the docs say ${command.exit}\n${output}`);
        for (const fragment of command.expect) {
          assert.ok(contains(output, fragment), `${where}: \`${command.line}\` did not print ${JSON.stringify(fragment)}; it printed:\n${output}`);
        }
      }
      continue;
    }
    assert.ok(!CODE.has(block.lang), `${where}: a \`${block.lang}\` example that no test runs: give it file=PATH, or make it a sh block`);
  }
}

export function docPages(): string[] {
  const docs = fs.existsSync(path.join(REPO, 'docs')) ? fs.readdirSync(path.join(REPO, 'docs')).filter((f) => f.endsWith('.md')) : [];
  // CONTRIBUTING.md's commands are the repo's own (npm ci, npm test): .ci/run runs them.
  return ['README.md', ...docs.sort().map((f) => `docs/${f}`)].filter((p) => fs.existsSync(path.join(REPO, p)));
}

const needsPostgres = (page: string): boolean => fs.readFileSync(path.join(REPO, page), 'utf8').includes('<!-- docs-test: postgres -->');

describe('docs examples', { concurrency: 2 }, () => {
  let server: TestServer | null = null;
  before(async () => {
    if (docPages().some(needsPostgres)) server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });
  for (const page of docPages()) {
    it(`${page}: every example runs as written`, { timeout: 300_000 }, async () => {
      const extra = needsPostgres(page) && server ? { CAIRN_SHARED_URL: server.url(await server.createDatabase()) } : {};
      runPage(page, extra);
    });
  }
});
