// The repo's own scripts (bench, the demo, scripts/) import the library the
// way an app does; a name they import from an entry point that no longer
// exports it would only fail when that script next runs. Checked here, for
// every `import { … } from '…/dist/<entry>.js'` in them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { it } from 'node:test';
import { REPO } from '../helpers.js';

function scripts(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(REPO, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...scripts(rel));
    else if (/\.(mjs|js)$/.test(entry.name)) out.push(rel);
  }
  return out;
}

it('every name the bench, the demo and scripts/ import from dist/ is exported there', async () => {
  const missing: string[] = [];
  let checked = 0;
  for (const file of ['bench', 'examples', 'scripts'].flatMap(scripts)) {
    const text = fs.readFileSync(path.join(REPO, file), 'utf8');
    for (const m of text.matchAll(/import \{([^}]*)\} from '((?:\.\.\/)+dist\/[^']+\.js)'/g)) {
      const target = path.resolve(REPO, path.dirname(file), m[2]!);
      const exported = new Set(Object.keys(await import(pathToFileURL(target).href)));
      for (const name of m[1]!
        .split(',')
        .map((s) => s.trim().replace(/^type\s+/, ''))
        .filter(Boolean)) {
        checked++;
        if (!exported.has(name.split(/\s+as\s+/)[0]!)) missing.push(`${file}: ${name} from ${m[2]}`);
      }
    }
  }
  assert.ok(checked > 10, `checked ${checked} names`);
  assert.deepEqual(missing, []);
});
