// Export and restore of a 1,000,000-row table (issue #5), each beside the
// same run's raw limits: better-sqlite3 iterate() + JSON.stringify to a file
// (export), the sqlite3 shell's `.mode json` when installed, and a prepared
// INSERT of rows already in memory in one transaction (restore). cairn's
// export and restore run in a child process so their peak RSS is their own;
// two sizes show whether memory grows with the table. Median of 3 rounds.
import Database from 'better-sqlite3';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCHEMA = 'CREATE TABLE events (id INTEGER PRIMARY KEY, session TEXT NOT NULL, seq INTEGER NOT NULL, score REAL, body TEXT, created_at TEXT NOT NULL);\n';

function fill(file, rows) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.prepare(
    `INSERT INTO events (id, session, seq, score, body, created_at)
     SELECT value, 's-' || (value % 977), value * 7, value / 3.0, 'message body number ' || value || ' with some words in it to look like a transcript',
            strftime('%Y-%m-%dT%H:%M:%fZ', 1700000000 + value, 'unixepoch')
     FROM (WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < ?) SELECT value FROM n)`,
  ).run(rows);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** The export limit: rows into JS objects, JSON.stringify, 1 MiB writes. */
function rawExport(file, out) {
  const t = performance.now();
  const db = new Database(file, { readonly: true });
  const fd = fs.openSync(out, 'w');
  let pending = [];
  let size = 0;
  for (const row of db.prepare('SELECT * FROM events ORDER BY id').raw().iterate()) {
    const line = JSON.stringify(row);
    pending.push(line);
    size += line.length;
    if (size >= 1 << 20) {
      fs.writeSync(fd, pending.join('\n') + '\n');
      pending = [];
      size = 0;
    }
  }
  if (pending.length) fs.writeSync(fd, pending.join('\n') + '\n');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  db.close();
  return performance.now() - t;
}

function shellExport(file, out) {
  const t = performance.now();
  const fd = fs.openSync(out, 'w');
  const r = spawnSync('sqlite3', ['-readonly', file, '.mode json', 'SELECT * FROM events ORDER BY id'], { stdio: ['ignore', fd, 'pipe'] });
  fs.closeSync(fd);
  if (r.status !== 0) throw new Error(`sqlite3: ${r.stderr}`);
  return performance.now() - t;
}

/** The restore limit: rows already parsed in memory (not timed), one prepared INSERT, one transaction, cairn's pragmas. */
function rawRestore(target, rows) {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${target}${suffix}`, { force: true });
  const db = new Database(target);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  const insert = db.prepare('INSERT INTO events (id, session, seq, score, body, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  const t = performance.now();
  db.transaction(() => {
    for (const r of rows) insert.run(r[0], r[1], r[2], r[3], r[4], r[5]);
  })();
  const ms = performance.now() - t;
  db.close();
  return ms;
}

/** Runs cairn's export or restore in a child; resolves to its time and peak RSS. */
function child(action, dir, extra) {
  const out = execFileSync(process.execPath, [path.join(HERE, 'snapshot-child.mjs'), action, dir, extra], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1));
}

function hasShell() {
  return spawnSync('sqlite3', ['-version']).status === 0;
}

export async function benchSnapshot({ quick = false } = {}) {
  const rows = quick ? 200_000 : 1_000_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bench-snapshot-'));
  try {
    fs.mkdirSync(path.join(dir, 'migrations'));
    fs.writeFileSync(path.join(dir, 'migrations', '0001_events.sql'), SCHEMA);
    fs.writeFileSync(
      path.join(dir, 'cairn.config.json'),
      JSON.stringify({ stores: { state: { file: 'state.sqlite', migrations: 'migrations', backups: false } } }),
    );
    child('migrate', dir, '');
    fill(path.join(dir, 'state.sqlite'), rows);
    const shell = hasShell();
    const rawFile = path.join(dir, 'raw.jsonl');
    rawExport(path.join(dir, 'state.sqlite'), rawFile); // warm the page cache for every side alike
    const parsed = fs
      .readFileSync(rawFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));

    const rounds = [];
    for (let round = 0; round < 3; round++) {
      const snap = path.join(dir, `snap-${round}`);
      const rawEx = rawExport(path.join(dir, 'state.sqlite'), rawFile);
      const shellEx = shell ? shellExport(path.join(dir, 'state.sqlite'), path.join(dir, 'shell.json')) : null;
      const ex = child('export', dir, snap);
      const rawIn = rawRestore(path.join(dir, 'raw-target.sqlite'), parsed);
      const target = path.join(dir, `restored-${round}.sqlite`);
      const re = child('restore', dir, `${snap}|${target}`);
      rounds.push({
        exportVsRaw: rawEx / ex.ms,
        exportVsShell: shellEx === null ? null : shellEx / ex.ms,
        restoreVsRaw: rawIn / re.insertMs,
        restoreWholeVsRaw: rawIn / re.ms,
        rawEx,
        shellEx,
        ex,
        rawIn,
        re,
      });
      fs.rmSync(snap, { recursive: true, force: true });
      for (const suffix of ['', '-wal', '-shm', '.cairn-lock']) fs.rmSync(`${target}${suffix}`, { force: true });
    }
    const median = (key) => [...rounds].map((r) => r[key]).sort((a, b) => a - b)[1];
    const mid = [...rounds].sort((a, b) => a.exportVsRaw - b.exportVsRaw)[1];
    const perSec = (ms) => Math.round(rows / (ms / 1000)).toLocaleString('en-US');

    // Memory: the same run at a quarter of the size, in a fresh child each.
    const small = path.join(dir, 'small');
    fs.mkdirSync(path.join(small, 'migrations'), { recursive: true });
    fs.copyFileSync(path.join(dir, 'migrations', '0001_events.sql'), path.join(small, 'migrations', '0001_events.sql'));
    fs.copyFileSync(path.join(dir, 'cairn.config.json'), path.join(small, 'cairn.config.json'));
    child('migrate', small, '');
    fill(path.join(small, 'state.sqlite'), Math.round(rows / 4));
    const smallEx = child('export', small, path.join(small, 'snap'));
    const smallRe = child('restore', small, `${path.join(small, 'snap')}|${path.join(small, 'restored.sqlite')}`);

    const goals = { exportVsRaw: 1.0, exportVsShell: 0.6, restoreVsRaw: 0.8 };
    const ok =
      median('exportVsRaw') >= goals.exportVsRaw && (!shell || median('exportVsShell') >= goals.exportVsShell) && median('restoreVsRaw') >= goals.restoreVsRaw;
    const mb = (bytes) => `${Math.round(bytes / 1024 / 1024)} MB`;
    return {
      name: `snapshot: export and restore of a ${rows.toLocaleString('en-US')}-row table`,
      ok,
      rounds,
      lines: [
        `raw iterate+stringify ${perSec(mid.rawEx)} rows/s · sqlite3 .mode json ${shell ? `${perSec(mid.shellEx)} rows/s` : 'not installed'} · cairn export ${perSec(mid.ex.ms)} rows/s (lossless, hashed, fsynced)`,
        `export: ${median('exportVsRaw').toFixed(2)}× raw (goal ≥ ${goals.exportVsRaw}×)${shell ? `, ${median('exportVsShell').toFixed(2)}× the sqlite3 shell (goal ≥ ${goals.exportVsShell}×)` : ''}; rounds ${rounds.map((r) => r.exportVsRaw.toFixed(2)).join(', ')}`,
        `raw prepared insert ${perSec(mid.rawIn)} rows/s · cairn restore insert phase ${perSec(mid.re.insertMs)} rows/s → ${median('restoreVsRaw').toFixed(2)}× raw (goal ≥ ${goals.restoreVsRaw}×); rounds ${rounds.map((r) => r.restoreVsRaw.toFixed(2)).join(', ')}`,
        `whole restore (checksums, schema, insert, foreign_key_check, line-by-line verify) ${perSec(mid.re.ms)} rows/s → ${median('restoreWholeVsRaw').toFixed(2)}× raw insert alone`,
        `peak RSS: export ${mb(smallEx.maxRss)} at ${(rows / 4).toLocaleString('en-US')} rows, ${mb(mid.ex.maxRss)} at ${rows.toLocaleString('en-US')}; restore ${mb(smallRe.maxRss)} → ${mb(mid.re.maxRss)}`,
      ],
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
