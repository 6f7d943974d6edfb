// npm run bench: every benchmark, each as a ratio to the raw limit measured in the same run.
import { benchStartup } from './startup.mjs';

const results = [await benchStartup()];
for (const r of results) {
  const verdict = r.ratio <= r.goal ? 'within goal' : 'OVER GOAL';
  console.log(
    `${r.name}: ${r.stores} stores, raw ${r.rawMsPerStore.toFixed(3)} ms/store, cairn ${r.cairnMsPerStore.toFixed(3)} ms/store → ${r.ratio.toFixed(2)}× (goal < ${r.goal}×, ${verdict})`,
  );
}
if (process.argv.includes('--json')) console.log(JSON.stringify(results, null, 2));
