// One cairn snapshot action in its own process, so the bench reads its own
// peak RSS: `migrate DIR`, `export DIR OUT`, `restore DIR "SNAPSHOT|TARGET"`.
import path from 'node:path';
import { loadConfig, migrateStore, restoreSnapshot } from '../dist/index.js';
import { exportStore } from '../dist/snapshot/index.js';

const [action, dir, arg] = process.argv.slice(2);
const registry = await loadConfig({ cwd: dir, env: {} });
const store = registry.stores[0];
const t = performance.now();
let insertMs = null;
if (action === 'migrate') await migrateStore(store);
else if (action === 'export') await exportStore(store, { out: arg });
else if (action === 'restore') {
  const [from, target] = arg.split('|');
  const result = await restoreSnapshot(store, { from, target: path.resolve(target) });
  if (!result.verification.equal) throw new Error('restore did not verify');
  insertMs = result.timings.insertMs;
}
const ms = performance.now() - t;
console.log(JSON.stringify({ ms, insertMs, maxRss: process.resourceUsage().maxRSS * 1024 }));
