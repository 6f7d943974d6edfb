// Startup cost of openStores() when nothing is pending, as a ratio to the raw
// limit measured in the same run: opening the same files with better-sqlite3
// and reading one row. Goal (issue #2): under 1.5×.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, openStores } from '../dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const app = path.join(here, '..', 'examples', 'agent-app');

export async function benchStartup({ iterations = 400 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bench-'));
  fs.copyFileSync(path.join(app, 'cairn.config.json'), path.join(dir, 'cairn.config.json'));
  fs.cpSync(path.join(app, 'migrations'), path.join(dir, 'migrations'), { recursive: true });
  const registry = await loadConfig({ cwd: dir });
  (await openStores(registry)).close(); // migrate once; every later open has nothing pending
  const files = registry.stores.map((s) => s.file);

  const raw = () => {
    for (const file of files) {
      const db = new Database(file);
      db.prepare('SELECT version FROM cairn_migrations ORDER BY version DESC LIMIT 1').get();
      db.close();
    }
  };
  const cairn = async () => {
    const stores = await openStores(registry);
    stores.close();
  };

  const rawMs = await measure(raw, iterations);
  const cairnMs = await measure(cairn, iterations);
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    name: 'startup: openStores() with nothing pending',
    stores: files.length,
    rawMsPerStore: rawMs / files.length,
    cairnMsPerStore: cairnMs / files.length,
    ratio: cairnMs / rawMs,
    goal: 1.5,
  };
}

/** Median of `iterations` timed runs after a warm-up, interleaving nothing else. */
async function measure(fn, iterations) {
  for (let i = 0; i < 50; i++) await fn();
  const times = [];
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
