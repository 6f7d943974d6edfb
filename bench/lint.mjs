// The pre-migration lint of a data-loading migration as a ratio to applying
// it: the lint must cost less than the migration it guards (it compiles each
// data statement, never runs it, so the rows are not loaded twice). A ~36 MB
// file of INSERTs, as agent apps ship to seed a store, plus one statement
// that generates a million rows; lint and migrate
// alternate three times on fresh copies; the median ratio is reported.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrateStore, defineStores } from '../dist/index.js';
import { lintMigrations } from '../dist/migrations/index.js';
import { loadMigrations } from '../dist/migrations/source.js';

const GOAL = 1;

function seedFile(dir, rows) {
  const folder = path.join(dir, 'migrations');
  fs.mkdirSync(folder, { recursive: true });
  const lines = ['CREATE TABLE docs (id INTEGER PRIMARY KEY, path TEXT NOT NULL, body TEXT NOT NULL);'];
  for (let i = 1; i <= rows; i++)
    lines.push(`INSERT INTO docs (id, path, body) VALUES (${i}, 'docs/${i}.md', '${'lorem ipsum dolor sit amet '.repeat(8)}${i}');`);
  // And rows a statement generates: replaying these in memory is what made the lint cost as much as the load.
  lines.push('CREATE TABLE filler (id INTEGER PRIMARY KEY, pad TEXT);');
  lines.push(
    `INSERT INTO filler (pad) SELECT printf('%.200c', 'x') FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < ${rows * 8}) SELECT v FROM s);`,
  );
  fs.writeFileSync(path.join(folder, '0001_seed.sql'), lines.join('\n') + '\n');
  return folder;
}

export async function benchLint({ quick = false } = {}) {
  const rows = quick ? 20_000 : 130_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bench-lint-'));
  try {
    const folder = seedFile(dir, rows);
    const bytes = fs.statSync(path.join(folder, '0001_seed.sql')).size;
    const ratios = [];
    let lintMs = 0;
    let migrateMs = 0;
    for (let round = 0; round < 3; round++) {
      const migrations = loadMigrations(folder);
      let started = performance.now();
      const findings = lintMigrations({ migrations, database: null, baseline: [], foreignKeys: true });
      const lint = performance.now() - started;
      if (findings.some((f) => f.severity === 'error')) throw new Error(`the seed file should lint clean: ${JSON.stringify(findings[0])}`);
      const registry = defineStores({ stores: { s: { file: `s${round}.sqlite`, migrations: folder, backups: false } } }, { root: dir, env: {} });
      started = performance.now();
      await migrateStore(registry.stores[0], { force: true });
      const migrate = performance.now() - started;
      ratios.push(lint / migrate);
      lintMs += lint;
      migrateMs += migrate;
    }
    const ratio = ratios.sort((a, b) => a - b)[1];
    return {
      name: 'lint of a data-loading migration',
      ok: ratio < GOAL,
      ratio,
      goal: GOAL,
      lines: [
        `${(bytes / 1024 / 1024).toFixed(1)} MB, ${rows.toLocaleString('en-US')} INSERTs + ${(rows * 8).toLocaleString('en-US')} generated rows: lint ${(lintMs / 3).toFixed(0)} ms, migrate ${(migrateMs / 3).toFixed(0)} ms → lint costs ${ratio.toFixed(2)}× the migration (goal < ${GOAL}×; median of 3)`,
      ],
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
