// npm run bench: every benchmark, each as a ratio to the raw limit measured in
// the same run. `npm run bench -- --quick` runs smaller sizes (a smoke test,
// not a measurement); `--json` adds the raw numbers.
import { benchBackfill } from './backfill.mjs';
import { benchDoctor } from './doctor.mjs';
import { benchImport } from './import.mjs';
import { benchLint } from './lint.mjs';
import { benchMove } from './move.mjs';
import { benchSnapshot } from './snapshot.mjs';
import { benchStartup } from './startup.mjs';
import { benchColdStart } from './cold-start.mjs';
import { benchPostgres } from './postgres.mjs';
import { benchPgData } from './pg-data.mjs';
import { benchPrune } from './prune.mjs';
import { benchAgent } from './agent.mjs';

const quick = process.argv.includes('--quick');
const results = [];

const cold = await benchColdStart({ quick });
results.push(cold);
const startup = await benchStartup();
results.push({
  ...startup,
  ok: startup.ratio <= startup.goal,
  lines: [
    `raw ${startup.rawMsPerStore.toFixed(3)} ms/store, cairn ${startup.cairnMsPerStore.toFixed(3)} ms/store → ${startup.ratio.toFixed(2)}× (goal < ${startup.goal}×)`,
  ],
});
results.push(await benchImport({ quick }));
results.push(await benchBackfill({ quick }));
results.push(await benchAgent({ quick }));
results.push(await benchDoctor({ quick }));
results.push(await benchSnapshot({ quick }));
results.push(await benchMove({ quick }));
results.push(await benchLint({ quick }));
results.push(await benchPrune({ quick }));
results.push(await benchPostgres({ quick }));
results.push(await benchPgData({ quick }));

for (const r of results) {
  console.log(`${r.name}: ${r.ok ? 'within goal' : 'OVER GOAL'}`);
  for (const line of r.lines) console.log(`  ${line}`);
}
if (process.argv.includes('--json')) console.log(JSON.stringify(results, null, 2));
