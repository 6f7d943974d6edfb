// Whole-process cold start, as an app and an operator pay it (issue 17):
// - a process that imports cairndb and opens 3 up-to-date stores, against one
//   that imports better-sqlite3, opens the same files with the same pragmas and
//   reads MAX(version) (goal ≤ 1.25×);
// - `cairn --version` and `cairn status` against `node -e 0` (goals ≤ 1.5×, ≤ 2×).
// Every variant runs once per round, in turn, and each figure is a median.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'dist', 'cli', 'bin.js');
const child = path.join(here, 'cold-start-child.mjs');

function scratchApp() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-cold-'));
  const stores = {};
  for (const name of ['state', 'logs', 'goals']) {
    const migrations = path.join(dir, 'migrations', name);
    fs.mkdirSync(migrations, { recursive: true });
    for (let v = 1; v <= 12; v++) {
      fs.writeFileSync(
        path.join(migrations, `${String(v).padStart(5, '0')}_step_${v}.sql`),
        `CREATE TABLE ${name}_${v} (id INTEGER PRIMARY KEY, body TEXT);\n`,
      );
    }
    stores[name] = { file: `${name}.sqlite`, migrations: `migrations/${name}` };
  }
  fs.writeFileSync(path.join(dir, 'cairn.config.json'), JSON.stringify({ stores }, null, 2));
  return { dir, files: Object.values(stores).map((s) => s.file) };
}

function timed(args, cwd) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function benchColdStart({ quick = false } = {}) {
  const rounds = quick ? 5 : 21;
  const { dir, files } = scratchApp();
  timed([bin, 'migrate'], dir);
  const variants = {
    node: ['-e', '0'],
    raw: [child, 'raw', ...files],
    lib: [child, 'lib'],
    version: [bin, '--version'],
    status: [bin, 'status'],
  };
  const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (const args of Object.values(variants)) timed(args, dir); // warm the page cache
  for (let round = 0; round < rounds; round++) {
    for (const [name, args] of Object.entries(variants)) times[name].push(timed(args, dir));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  const checks = [
    { what: 'import cairndb + openStores(3 stores) vs better-sqlite3 opening them', ratio: m.lib / m.raw, goal: 1.25, ms: [m.lib, m.raw] },
    { what: 'cairn --version vs node -e 0', ratio: m.version / m.node, goal: 1.5, ms: [m.version, m.node] },
    { what: 'cairn status (up to date) vs node -e 0', ratio: m.status / m.node, goal: 2, ms: [m.status, m.node] },
  ];
  return {
    name: `cold start: whole processes, medians of ${rounds} alternating rounds`,
    ok: checks.every((c) => c.ratio <= c.goal),
    checks,
    lines: checks.map((c) => `${c.what}: ${c.ms[0].toFixed(0)} ms vs ${c.ms[1].toFixed(0)} ms → ${c.ratio.toFixed(2)}× (goal ≤ ${c.goal}×)`),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchColdStart({ quick: process.argv.includes('--quick') });
  console.log(`${r.name}: ${r.ok ? 'within goal' : 'OVER GOAL'}`);
  for (const line of r.lines) console.log(`  ${line}`);
}
