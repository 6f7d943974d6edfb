// Backfill speed (issue #4): cairn backfill of N events across N/200 JSONL
// files, checkpoints on, as a ratio to the raw insert limit measured in the
// same run, with peak RSS at two sizes to show memory does not grow.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const child = path.join(here, 'backfill-child.mjs');
const ROUNDS = 3;
const PER_FILE = 200;

function writeHistory(dir, events) {
  const kinds = ['user_message', 'agent_message', 'function_call', 'function_call_output'];
  fs.mkdirSync(path.join(dir, 'history'), { recursive: true });
  for (let f = 0; f < events / PER_FILE; f++) {
    const lines = [];
    for (let i = 0; i < PER_FILE; i++) {
      const n = f * PER_FILE + i;
      lines.push(JSON.stringify({ kind: kinds[n % 4], at: new Date(1740816000000 + n * 1000).toISOString(), text: `event ${n} `.padEnd(110, 'lorem ipsum ') }));
    }
    fs.writeFileSync(path.join(dir, 'history', `t${String(f).padStart(6, '0')}.jsonl`), lines.join('\n') + '\n');
  }
}

function runNode(mode, dir) {
  const r = spawnSync(process.execPath, [child, mode, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

export async function benchBackfill({ events = 1_000_000, quick = false } = {}) {
  const n = quick ? Math.floor(events / 10) : events;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bench-backfill-'));
  try {
    const big = path.join(root, 'big');
    const half = path.join(root, 'half');
    writeHistory(big, n);
    writeHistory(half, n / 2);
    // Alternating rounds in fresh processes; the median per-round ratio is reported (see import.mjs).
    const rounds = [];
    for (let i = 0; i < (quick ? 1 : ROUNDS); i++) {
      const raw = runNode('raw', big);
      const cairn = runNode('cairn', big);
      rounds.push({ raw, cairn, ratio: cairn.rowsPerSecond / raw.rowsPerSecond });
    }
    const { raw, cairn, ratio } = rounds.toSorted((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)];
    const cairnHalf = runNode('cairn', half);
    return {
      name: `backfill: ${n.toLocaleString('en-US')} events in ${(n / PER_FILE).toLocaleString('en-US')} JSONL files, a checkpoint per 2,000 rows`,
      lines: [
        `raw limit (prepared INSERT of pre-built rows)   ${Math.round(raw.rowsPerSecond).toLocaleString('en-US')} rows/s`,
        `cairn backfill                                  ${Math.round(cairn.rowsPerSecond).toLocaleString('en-US')} rows/s → ${ratio.toFixed(2)}× raw, median of ${rounds.length} (${rounds.map((r) => r.ratio.toFixed(2)).join(', ')}) (goal ≥ 0.75×)`,
        `cairn peak RSS: ${cairnHalf.maxRssMb.toFixed(0)} MB at ${(n / 2).toLocaleString('en-US')} events, ${cairn.maxRssMb.toFixed(0)} MB at ${n.toLocaleString('en-US')} (goal: flat)`,
      ],
      ok: ratio >= 0.75 && cairn.maxRssMb < cairnHalf.maxRssMb * 1.25,
      rounds,
      cairnHalf,
    };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
