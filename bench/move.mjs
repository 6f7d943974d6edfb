// moveTable (copy batch by batch, compare every row, drop the source) as a
// ratio to the raw limit: one unverified `INSERT … SELECT` through ATTACH of
// the same table in the same run. Raw and move alternate three times; the
// median per-round ratio is reported. Goal ≥ 0.4×: the move reads both
// tables once more to verify before it drops anything, so half the raw rate
// is its ceiling.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { moveTable } from '../dist/index.js';
import { openDatabase } from '../dist/sqlite/open.js';

const GOAL = 0.4;

function source(file, rows) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE goals (id INTEGER PRIMARY KEY, thread TEXT NOT NULL, score REAL, body TEXT)');
  db.prepare(
    `INSERT INTO goals SELECT value, 'thread-' || (value % 100), value / 3.0, hex(randomblob(30))
     FROM (WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < ?) SELECT value FROM n)`,
  ).run(rows);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

const remove = (file) => ['', '-wal', '-shm', '.cairn-lock'].forEach((s) => fs.rmSync(file + s, { force: true }));

export async function benchMove({ quick = false } = {}) {
  const rows = quick ? 100_000 : 1_000_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bench-move-'));
  const src = path.join(dir, 'state.sqlite');
  const dst = path.join(dir, 'goals.sqlite');
  try {
    const ratios = [];
    let rawMs = 0;
    let moveMs = 0;
    for (let round = 0; round < 3; round++) {
      remove(src);
      remove(dst);
      source(src, rows);
      let t = performance.now();
      const raw = new Database(dst);
      raw.pragma('journal_mode = WAL');
      raw.exec(
        `ATTACH '${src}' AS s; CREATE TABLE goals (id INTEGER PRIMARY KEY, thread TEXT NOT NULL, score REAL, body TEXT); INSERT INTO main.goals SELECT * FROM s.goals; DETACH s;`,
      );
      raw.close();
      rawMs = performance.now() - t;
      remove(dst);
      t = performance.now();
      const db = openDatabase(dst);
      const result = await moveTable(db, { from: { name: 'state', file: src, pragmas: {} }, table: 'goals' });
      db.close();
      moveMs = performance.now() - t;
      if (result.rows !== rows) throw new Error(`moved ${result.rows} of ${rows} rows`);
      ratios.push(rawMs / moveMs);
    }
    const ratio = ratios.sort((a, b) => a - b)[1];
    return {
      name: 'moveTable',
      ok: ratio >= GOAL,
      ratio,
      goal: GOAL,
      lines: [
        `${rows.toLocaleString('en')} rows: raw INSERT … SELECT ${Math.round(rawMs)} ms, moveTable (copy, compare, drop) ${Math.round(moveMs)} ms → ${ratio.toFixed(2)}× (median of ${ratios.map((r) => r.toFixed(2)).join(', ')}; goal ≥ ${GOAL}×)`,
      ],
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
