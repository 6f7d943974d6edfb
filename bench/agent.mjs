// Import and backfill on agent-shaped histories (issue 22): Codex-style
// rollouts (bench/agent-corpus.mjs) at two sizes, each contestant in its own
// process, raw limit and cairn alternating; the median of the per-round
// ratios is reported with each side's CPU time (both threads) and cairn's
// peak RSS at both sizes. The raw limit gets the rows already parsed and the
// payloads already JSON text, 10,000 rows per transaction, WAL, foreign keys
// on, ON CONFLICT DO NOTHING.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeAgentCorpus } from './agent-corpus.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const child = path.join(here, 'agent-child.mjs');

function run(mode, corpus, out, env = {}) {
  const r = spawnSync(process.execPath, [child, mode, corpus, out], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

const median = (xs) => xs.toSorted((a, b) => a.ratio - b.ratio)[Math.floor(xs.length / 2)];
const n = (x) => Math.round(x).toLocaleString('en-US');

/** Raw and `mode` alternating `rounds` times on one corpus. */
function rounds(mode, corpus, out, count) {
  const all = [];
  for (let i = 0; i < count; i++) {
    const raw = run('raw', corpus, out);
    const cairn = run(mode, corpus, out);
    all.push({ raw, cairn, ratio: cairn.rowsPerSecond / raw.rowsPerSecond });
  }
  return { ...median(all), ratios: all.map((r) => r.ratio) };
}

export async function benchAgent({ quick = false } = {}) {
  const sizes = quick ? [30_000, 100_000] : [300_000, 1_000_000];
  const count = quick ? 1 : 3;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bench-agent-'));
  try {
    const out = path.join(root, 'out');
    const results = {};
    for (const size of sizes) {
      const corpus = path.join(root, `corpus-${size}`);
      const written = writeAgentCorpus(corpus, size);
      results[size] = { written, import: rounds('import', corpus, out, count), backfill: rounds('backfill', corpus, out, count) };
      fs.rmSync(corpus, { recursive: true, force: true });
    }
    const [small, large] = sizes.map((s) => results[s]);
    const line = (what, r, goal) =>
      `${what.padEnd(9)} raw ${n(r.raw.rowsPerSecond)} rows/s (CPU ${r.raw.cpuSeconds.toFixed(1)} s), cairn ${n(r.cairn.rowsPerSecond)} rows/s (CPU ${r.cairn.cpuSeconds.toFixed(1)} s) → ${r.ratio.toFixed(2)}×, median of ${r.ratios.length} (${r.ratios.map((x) => x.toFixed(2)).join(', ')}) (goal ≥ ${goal}×)`;
    const lines = [];
    for (const size of sizes) {
      const r = results[size];
      lines.push(
        `${n(r.written.rows)} lines in ${n(r.written.files.length)} rollouts (${(r.written.bytes / 1e6).toFixed(0)} MB, ${r.written.damaged} damaged):`,
        `  ${line('import', r.import, 0.85)}`,
        `  ${line('backfill', r.backfill, 0.8)}`,
      );
    }
    lines.push(
      `cairn peak RSS: import ${small.import.cairn.maxRssMb.toFixed(0)} → ${large.import.cairn.maxRssMb.toFixed(0)} MB, backfill ${small.backfill.cairn.maxRssMb.toFixed(0)} → ${large.backfill.cairn.maxRssMb.toFixed(0)} MB from ${n(sizes[0])} to ${n(sizes[1])} lines (goal < 250 MB, flat)`,
    );
    const flat = (a, b) => b < 250 && b < a * 1.25;
    return {
      name: 'import and backfill of agent-shaped rollouts (nested payloads, long tool output, a few huge conversations and many small ones)',
      lines,
      ok:
        large.import.ratio >= 0.85 &&
        large.backfill.ratio >= 0.8 &&
        flat(small.import.cairn.maxRssMb, large.import.cairn.maxRssMb) &&
        flat(small.backfill.cairn.maxRssMb, large.backfill.cairn.maxRssMb),
      results,
    };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchAgent({ quick: process.argv.includes('--quick') });
  console.log(r.name);
  for (const l of r.lines) console.log(`  ${l}`);
}
