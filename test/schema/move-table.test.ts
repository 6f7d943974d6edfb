import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { moveTable } from '../../dist/index.js';
import { openDatabase } from '../../dist/sqlite/open.js';
import { BIN, cli, readRows, scratchApp } from '../helpers.js';

const ROWS = 600;

const STATE = {
  '0001_base.sql': `CREATE TABLE threads (id TEXT PRIMARY KEY, title TEXT);
CREATE TABLE goals (id INTEGER PRIMARY KEY, thread TEXT NOT NULL, body TEXT, score REAL, data BLOB, big INTEGER);
CREATE INDEX goals_by_thread ON goals (thread);
CREATE TABLE notes (thread TEXT, body TEXT);
CREATE TABLE marks (thread TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT, PRIMARY KEY (thread, seq)) WITHOUT ROWID;`,
};

const MOVE_ALL = `export const transaction = false;
export const rerunnable = true; // ctx.moveTable resumes where a killed run stopped
export async function up(db, ctx) {
  for (const table of ['goals', 'notes', 'marks']) {
    await ctx.moveTable({ from: 'state', to: 'goals', table, batchSize: Number(process.env.MOVE_BATCH ?? 40) });
  }
}
`;

const TABLES = {
  goals: 'SELECT id, thread, body, score, hex(data) AS data, big FROM goals ORDER BY id',
  notes: 'SELECT rowid AS r, thread, body FROM notes ORDER BY rowid',
  marks: 'SELECT thread, seq, kind FROM marks ORDER BY thread, seq',
};

/** Two stores: state holds three tables with rows; goals' first migration moves them in. */
async function app(
  goalsFiles: Record<string, string> = { '0001_move.mjs': MOVE_ALL },
  rows = ROWS,
): Promise<{ dir: string; state: string; goals: string; original: Record<string, unknown[]> }> {
  const { dir } = scratchApp({ state: STATE, goals: {} });
  assert.equal((await cli(dir, 'migrate')).code, 0);
  const state = path.join(dir, 'state.sqlite');
  const db = new Database(state);
  db.exec("INSERT INTO threads VALUES ('t1', 'one')");
  const goal = db.prepare('INSERT INTO goals (id, thread, body, score, data, big) VALUES (?, ?, ?, ?, ?, ?)');
  const note = db.prepare('INSERT INTO notes (rowid, thread, body) VALUES (?, ?, ?)');
  const mark = db.prepare('INSERT INTO marks VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) {
      // Gaps in the keys, NULLs, blobs, text with quotes and emoji, integers beyond 2^53.
      goal.run(i * 3, `t${i % 7}`, i % 11 === 0 ? null : `goal "${i}" ✓ 🎯`, i / 7, i % 5 === 0 ? Buffer.from([0, i % 256, 255]) : null, 2n ** 60n + BigInt(i));
      note.run(i * 2 + 1000, `t${i % 3}`, `note ${i}`);
      mark.run(`t${i % 9}`, i, i % 2 ? 'a' : null);
    }
  })();
  db.close();
  for (const [name, text] of Object.entries(goalsFiles)) fs.writeFileSync(path.join(dir, 'migrations', 'goals', name), text);
  return { dir, state, goals: path.join(dir, 'goals.sqlite'), original: dump(state) };
}

function dump(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  db.defaultSafeIntegers(true);
  try {
    const out: Record<string, unknown[]> = {};
    for (const [table, sql] of Object.entries(TABLES)) {
      out[table] = db.prepare('SELECT 1 FROM sqlite_master WHERE name = ?').get(table) ? db.prepare(sql).all() : [];
    }
    return out;
  } finally {
    db.close();
  }
}

const tableExists = (file: string, table: string) =>
  fs.existsSync(file) && readRows(file, `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '${table}'`).length > 0;

/** No row lost or doubled at any moment: each table is whole in the source, or (once dropped there) whole in the target; the target never holds a row twice or a row the source never had. */
function assertNothingLost(a: { state: string; goals: string; original: Record<string, unknown[]> }, when: string, tables = Object.keys(TABLES)): void {
  const source = dump(a.state);
  const target = fs.existsSync(a.goals) ? dump(a.goals) : { goals: [], notes: [], marks: [] };
  for (const table of tables) {
    const original = a.original[table]!;
    const keys = new Set(original.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))));
    const copied = target[table]!.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
    assert.equal(new Set(copied).size, copied.length, `${when}: ${table} has a doubled row`);
    for (const row of copied) assert.ok(keys.has(row), `${when}: ${table} holds a row the source never had: ${row}`);
    if (tableExists(a.state, table)) assert.deepEqual(source[table], original, `${when}: the source's ${table} was changed`);
    else assert.deepEqual(target[table], original, `${when}: ${table} dropped from the source before the copy was whole`);
  }
}

function assertMoved(a: { state: string; goals: string; original: Record<string, unknown[]> }): void {
  assert.deepEqual(dump(a.goals), a.original);
  for (const table of Object.keys(TABLES)) assert.equal(tableExists(a.state, table), false, `${table} dropped from the source`);
}

describe('moveTable: a table moves to another store as a migration step', () => {
  it('moves rowid, INTEGER PRIMARY KEY and WITHOUT ROWID tables batch by batch: every value and rowid kept, indexes carried, source dropped and its move recorded', async () => {
    const a = await app();
    const r = await cli(a.dir, 'migrate');
    assert.equal(r.code, 0, r.stderr);
    assertMoved(a);
    assert.match(r.stderr, /goals: move goals from state: batch \(40 rows here\)/);
    assert.match(r.stderr, /move marks from state: done \(600 rows here\)/);
    assert.deepEqual(readRows(a.goals, "SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'goals_by_thread'"), [{ name: 'goals_by_thread' }]);
    assert.deepEqual(
      (readRows(a.goals, 'SELECT name, phase, rows FROM cairn_moves ORDER BY name') as { name: string }[]).map((m) => Object.values(m).join(' ')),
      ['goals done 600', 'marks done 600', 'notes done 600'],
    );
    const marker = JSON.parse((readRows(a.state, "SELECT value FROM cairn_meta WHERE key = 'moved:goals'")[0] as { value: string }).value);
    assert.equal(marker.to, 'goals');
    assert.equal((await cli(a.dir, 'migrate')).code, 0, 'a re-run has nothing to do');
    assert.equal((await cli(a.dir, 'doctor', '--summary')).code, 0);
  });

  it('crash at every boundary (after batch k, after verifying before the drop, after the drop before "done"), then a re-run: exactly the source rows', async () => {
    const crashPoints: { phase: string; nth: number }[] = [
      { phase: 'copying', nth: 1 },
      { phase: 'batch', nth: 1 },
      { phase: 'batch', nth: 7 },
      { phase: 'batch', nth: 15 },
      { phase: 'verified', nth: 1 },
      { phase: 'source-dropped', nth: 1 },
    ];
    for (const point of crashPoints) {
      const a = await app();
      const file = path.join(a.dir, 'goals.sqlite');
      const from = { name: 'state', file: a.state, pragmas: {} };
      const db = openDatabase(file);
      let seen = 0;
      await assert.rejects(
        moveTable(db, {
          from,
          table: 'goals',
          batchSize: 40,
          onProgress: (e: { phase: string }) => {
            if (e.phase === point.phase && ++seen === point.nth) throw new Error(`crash at ${point.phase} #${point.nth}`);
          },
        }),
        /crash at/,
      );
      db.close();
      assertNothingLost(a, `${point.phase} #${point.nth}`, ['goals']);
      const again = openDatabase(file);
      const result = await moveTable(again, { from, table: 'goals', batchSize: 40 });
      again.close();
      assert.equal(result.rows, ROWS);
      assert.equal(result.resumed, true);
      assert.deepEqual(dump(a.goals).goals, a.original.goals, `${point.phase} #${point.nth}: the re-run ends with exactly the source rows`);
      assert.equal(tableExists(a.state, 'goals'), false);
    }
  });

  it('SIGKILLed at random points of `cairn migrate`, again and again: never a row lost or doubled, and the last run finishes the move', async () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let kills = 0;
    // Each round kills one move until a run finishes it; rounds go on until enough kills have landed.
    for (let round = 0; round < 10 && kills < 12; round++) {
      const a = await app(undefined, 8_000);
      for (let attempt = 0; attempt < 40; attempt++) {
        const killed = await migrateAndKill(a.dir, random);
        if (!killed) break;
        kills++;
        assertNothingLost(a, `round ${round}, kill ${attempt}`);
      }
      const last = await cli(a.dir, 'migrate');
      assert.equal(last.code, 0, last.stderr);
      assertMoved(a);
    }
    assert.ok(kills >= 12, `only ${kills} kills landed`);
  });

  it('a source changed after its rows were copied is copied again, not dropped with the difference', async () => {
    const a = await app();
    const from = { name: 'state', file: a.state, pragmas: {} };
    const db = openDatabase(a.goals);
    await assert.rejects(
      moveTable(db, {
        from,
        table: 'goals',
        batchSize: 40,
        onProgress: (e: { phase: string; rows: number }) => {
          if (e.phase === 'batch' && e.rows >= 200) throw new Error('crash');
        },
      }),
    );
    // Meanwhile an old app writes to rows already copied.
    const w = new Database(a.state);
    w.exec("UPDATE goals SET body = 'changed' WHERE id = 3; DELETE FROM goals WHERE id = 6; INSERT INTO goals (id, thread) VALUES (100000, 'late');");
    w.close();
    const expected = dump(a.state).goals;
    const result = await moveTable(db, { from, table: 'goals', batchSize: 40 });
    db.close();
    assert.equal(result.recopied, true);
    assert.deepEqual(dump(a.goals).goals, expected);
    assert.equal(tableExists(a.state, 'goals'), false);
  });

  it("the table's own triggers move with it, created after the copy so none fires on it; one the target cannot run is refused before copying", async () => {
    const moveNotes = "export const transaction = false;\nexport async function up(db, ctx) { await ctx.moveTable({ from: 'state', table: 'notes' }); }\n";
    const a = await app({ '0001_log.sql': 'CREATE TABLE note_log (body TEXT);\n', '0002_move.mjs': moveNotes });
    const w = new Database(a.state);
    w.exec(`CREATE TRIGGER notes_lower AFTER INSERT ON notes BEGIN UPDATE notes SET body = lower(body) WHERE rowid = new.rowid; END;
            CREATE TRIGGER notes_logged AFTER INSERT ON notes BEGIN INSERT INTO note_log VALUES (new.body); END;
            CREATE TABLE note_log (body TEXT);`);
    w.close();
    const r = await cli(a.dir, 'migrate');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const goals = new Database(a.goals);
    assert.deepEqual(goals.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").pluck().all(), ['notes_logged', 'notes_lower']);
    assert.equal(goals.prepare('SELECT count(*) FROM note_log').pluck().get(), 0, 'no trigger fired on the copied rows');
    goals.exec("INSERT INTO notes (thread, body) VALUES ('t1', 'LOUD')");
    assert.equal(goals.prepare("SELECT body FROM notes WHERE thread = 't1' AND body = 'loud'").pluck().get(), 'loud', 'the trigger runs in its new store');
    assert.equal(goals.prepare('SELECT count(*) FROM note_log').pluck().get(), 1);
    goals.close();
    assert.deepEqual(dump(a.goals).notes.length, ROWS + 1);

    // A trigger whose body names a table the target lacks cannot move: refused before a row is copied, the source kept whole.
    const b = await app({ '0001_move.mjs': moveNotes });
    const v = new Database(b.state);
    v.exec('CREATE TABLE note_log (body TEXT); CREATE TRIGGER notes_logged AFTER INSERT ON notes BEGIN INSERT INTO note_log VALUES (new.body); END;');
    v.close();
    const refused = await cli(b.dir, 'migrate', '--json');
    assert.equal(refused.code, 1);
    assert.match(JSON.parse(refused.stdout).stores[1].failed.message, /trigger notes_logged \(no such table: .*note_log\) on notes cannot run in this store/);
    assert.deepEqual(dump(b.state).notes, b.original.notes, 'the source is kept whole');
    assert.deepEqual(dump(b.goals).notes, [], 'nothing was copied');
  });

  it('refuses what it cannot move safely, and keeps the source: a referenced table, a view that would break, a non-empty target, a transactional migration', async () => {
    // Another source table references the moved one.
    const child = await app({
      '0001_move.mjs': "export const transaction = false;\nexport async function up(db, ctx) { await ctx.moveTable({ from: 'state', table: 'threads' }); }\n",
    });
    const w = new Database(child.state);
    w.exec('CREATE TABLE links (thread TEXT REFERENCES threads(id))');
    w.close();
    const r1 = await cli(child.dir, 'migrate');
    assert.equal(r1.code, 1);
    assert.match(r1.stdout + r1.stderr, /links in .*state.sqlite references threads; moving it would leave them pointing at nothing/);
    assert.ok(tableExists(child.state, 'threads'));

    // A view in the source reads the table: the rows are copied, the drop is refused and rolled back.
    const view = await app();
    const v = new Database(view.state);
    v.exec('CREATE VIEW goal_count AS SELECT count(*) AS n FROM goals');
    v.close();
    const r2 = await cli(view.dir, 'migrate', '--json');
    assert.equal(r2.code, 1);
    assert.match(JSON.parse(r2.stdout).stores[1].failed.message, /view goal_count .* would break once goals is gone/);
    assert.deepEqual(dump(view.state).goals, view.original.goals, 'source kept whole');

    // The migration did not declare transaction = false.
    const tx = await app({ '0001_move.mjs': "export async function up(db, ctx) { await ctx.moveTable({ from: 'state', table: 'goals' }); }\n" });
    const r3 = await cli(tx.dir, 'migrate', '--json');
    assert.equal(r3.code, 1);
    assert.match(JSON.parse(r3.stdout).stores[1].failed.message, /cannot run inside a transaction: add `export const transaction = false`/);

    // The target already has rows in its table.
    const full = await app({
      '0001_goals.sql':
        "CREATE TABLE goals (id INTEGER PRIMARY KEY, thread TEXT NOT NULL, body TEXT, score REAL, data BLOB, big INTEGER);\nINSERT INTO goals (id, thread) VALUES (1, 'mine');",
      '0002_move.mjs':
        "export const transaction = false;\nexport async function up(db, ctx) { await ctx.moveTable({ from: 'state', to: 'goals', table: 'goals' }); }\n",
    });
    const r4 = await cli(full.dir, 'migrate', '--json');
    assert.equal(r4.code, 1);
    assert.match(JSON.parse(r4.stdout).stores[1].failed.message, /this store's goals already holds 1 row; a move copies into an empty table/);
    assert.deepEqual(dump(full.state).goals, full.original.goals);
  });

  it("code failing after the move in the same NO TRANSACTION migration does not put back the target's pre-step copy (the rows now live only there)", async () => {
    const a = await app({
      '0001_move.mjs':
        "export const transaction = false;\nexport async function up(db, ctx) {\n  await ctx.moveTable({ from: 'state', table: 'goals' });\n  throw new Error('later step broke');\n}\n",
    });
    const r = await cli(a.dir, 'migrate', '--json');
    assert.equal(r.code, 1);
    const failed = JSON.parse(r.stdout).stores[1].failed;
    assert.match(failed.message, /later step broke/);
    assert.equal(failed.restoredFromBackup, false);
    assert.deepEqual(dump(a.goals).goals, a.original.goals, 'the moved rows are still in the target');
  });

  it('a fresh install (the source store never had rows) moves nothing and records the move done', async () => {
    const { dir } = scratchApp({ state: STATE, goals: { '0001_move.mjs': MOVE_ALL } });
    const r = await cli(dir, 'migrate');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(tableExists(path.join(dir, 'state.sqlite'), 'goals'), false);
    assert.deepEqual(readRows(path.join(dir, 'goals.sqlite'), 'SELECT count(*) AS n FROM goals'), [{ n: 0 }]);
  });
});

/** Starts `cairn migrate` and SIGKILLs it at a random moment of the move (after a random progress line, or a random delay). Resolves false when it finished first. */
function migrateAndKill(dir: string, random: () => number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'migrate'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MOVE_BATCH: '20' } });
    const phases = ['copying', 'batch', 'verified', 'source-dropped', 'done'];
    const target = phases[Math.floor(random() * phases.length)]!;
    // Which occurrence: one of ~750 batches per table, or one of the three tables' other phases.
    const skip = Math.floor(random() * (target === 'batch' ? 300 : 3));
    let seen = 0;
    let killed = false;
    const kill = () => {
      if (!killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    const timer = random() < 0.3 ? setTimeout(kill, 80 + random() * 600) : null;
    child.stderr.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.includes(`: ${target} (`) && seen++ >= skip) kill();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      if (!killed && code !== 0) reject(new Error(`migrate exited ${code}`));
      resolve(killed);
    });
  });
}
