// The legacy files an import plan reads, still on disk: doctor compares them
// with the last complete run's ledger (imported, changed since, never
// imported) and names the command that finishes the job.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, runDoctor, runImport } from '../../dist/index.js';
import { importLedgerFile } from '../../dist/importers/ledger.js';
import { cli } from '../helpers.js';
import { chainApp } from './helpers.js';

async function legacyDetail(dir: string): Promise<{ status: string; detail: string; remedy: string | null }> {
  const report = await runDoctor(await loadConfig({ cwd: dir }), { redactHome: false });
  const check = report.checks.legacy!;
  return { status: check.status, detail: String(check.details['import chain']), remedy: check.remedy };
}

describe('doctor: the legacy files of an import plan', () => {
  it('counts them against the last complete run: imported, changed since, not imported; a dry run or a stopped run records nothing', async () => {
    const app = chainApp();
    const home = path.join(app.dir, 'home');
    assert.match((await legacyDetail(app.dir)).detail, /^no legacy files in .*home$/, 'no run yet: looked for in the home');

    assert.equal((await cli(app.dir, 'import', 'chain', '--from', 'legacy', '--dry-run')).code, 0);
    assert.equal(fs.existsSync(importLedgerFile(home, 'chain')), false, 'a dry run takes nothing in');
    const registry = await loadConfig({ cwd: app.dir });
    const stopped = await runImport(registry, { plan: path.join(app.dir, 'plans', 'chain.mjs'), name: 'chain', from: app.legacy, signal: AbortSignal.abort() });
    assert.equal(stopped.stopped, true);
    assert.equal(fs.existsSync(importLedgerFile(home, 'chain')), false, 'a stopped run did not read everything');

    assert.equal((await cli(app.dir, 'import', 'chain', '--from', 'legacy')).code, 0);
    let seen = await legacyDetail(app.dir);
    assert.equal(seen.status, 'ok');
    assert.match(seen.detail, /^4 files \(.+\) in .*legacy · 4 imported · all in the store: the files can be archived$/);

    fs.appendFileSync(path.join(app.legacy, 'items', 'r1.jsonl'), JSON.stringify({ n: 99, label: 'late' }) + '\n');
    fs.writeFileSync(path.join(app.legacy, 'items', 'r9.jsonl'), JSON.stringify({ n: 1, label: 'new room' }) + '\n');
    seen = await legacyDetail(app.dir);
    assert.equal(seen.status, 'warn');
    assert.match(seen.detail, /^5 files .* · 3 imported · 1 changed since · 1 not imported$/);
    const viaCli = JSON.parse((await cli(app.dir, 'doctor', '--json')).stdout);
    assert.equal(viaCli.checks.legacy.status, 'warn');
    assert.match(viaCli.checks.legacy.details['import chain'], /· 1 changed since · 1 not imported$/);
    assert.match(seen.remedy ?? '', new RegExp(`Run \`cairn import chain --from ${app.legacy.replace(/[/\\]/g, '\\$&')}\` to take in 2 files`));
  });

  it("keeps the ledger inside the home whatever the plan's name", () => {
    for (const name of ['../../etc/passwd', 'a/b', '..']) {
      const file = importLedgerFile('/home/me/.app', name);
      assert.equal(path.dirname(file), '/home/me/.app', name);
    }
  });
});
