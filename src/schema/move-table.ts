import fs from 'node:fs';
import { DEFAULT_LOCK_TIMEOUT_MS, type ResolvedStore } from '../config/stores.js';
import { CairnError } from '../errors.js';
import { ensureHistory, hasHistory, readMeta, writeMeta } from '../migrations/history.js';
import type { Db } from '../sqlite/db.js';
import { brokenDependents } from '../sqlite/dependents.js';
import { sameFile } from '../sqlite/files.js';
import { WriteLock } from '../sqlite/lock.js';
import { openDatabase } from '../sqlite/open.js';
import type { Pragmas } from '../sqlite/pragmas.js';
import { quoteIdent, quoteLiteral } from '../sqlite/quote.js';
import { foreignKeysTo, readTableInfo, readTables, type TableInfo } from '../sqlite/schema-info.js';
import { plural } from '../words.js';

export interface MoveTableOptions {
  /** Where the table is now: another store, or a database file. */
  from: Pick<ResolvedStore, 'name' | 'file' | 'pragmas'> & { lockTimeoutMs?: number };
  table: string;
  /** Rows per transaction (default 5000): the most a kill can take back. */
  batchSize?: number;
  /** The store `db` belongs to, for the source's "moved to" record and messages. */
  to?: string;
  onProgress?: (event: MoveProgress) => void;
}

export interface MoveProgress {
  phase: 'copying' | 'batch' | 'verified' | 'source-dropped' | 'done';
  table: string;
  /** Rows in the target so far. */
  rows: number;
}

export interface MoveTableResult {
  table: string;
  from: string;
  /** Rows the target holds at the end. */
  rows: number;
  /** Batches this run copied (0 when resuming found the copy complete). */
  batches: number;
  /** The move had finished on an earlier run: nothing was done. */
  alreadyDone: boolean;
  /** This run picked up a move an earlier run started. */
  resumed: boolean;
  /** The source changed after rows were copied, so the copy was made again from the start. */
  recopied: boolean;
  /** Why nothing was copied (the source has no such table), or null. */
  note: string | null;
}

const MOVES_TABLE = 'cairn_moves';
const SOURCE = 'cairn_move_source';
const DEFAULT_BATCH = 5000;

/**
 * Moves a table from another store into the one `db` belongs to, as a
 * migration step. Crash-safe at every point, with no row lost or doubled:
 *
 * 1. The target table is created (from the source's definition, when a
 *    target migration has not created it) and must be empty; a row in
 *    cairn_moves says the move has begun.
 * 2. Rows are copied through ATTACH in key order, one batch per target
 *    transaction. The next batch starts after the largest key already in the
 *    target, so the committed rows are the progress record: a kill loses at
 *    most the batch in flight, and a re-run carries on after the last one.
 * 3. Holding the source's write lock (nothing can change it meanwhile), every
 *    source row is compared with its copy, key by key and column by column.
 *    Only when all match is the source table dropped, in the same source
 *    transaction that records where it went (cairn_meta `moved:<table>`).
 *    When they differ (something wrote to the source after its rows were
 *    copied) the copy is made again, once.
 * 4. cairn_moves records the move done.
 *
 * Each transaction writes one file, so WAL mode's lack of atomic commits
 * across attached databases never matters. The caller must not be inside a
 * transaction (a migration declares `export const transaction = false`).
 */
export async function moveTable(db: Db, options: MoveTableOptions): Promise<MoveTableResult> {
  const { table, from } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new CairnError('E_USAGE', `moveTable: batchSize must be a whole number ≥ 1 (got ${batchSize})`);
  const where = `moveTable(${table} from ${from.name})`;
  if (db.inTransaction) {
    throw new CairnError(
      'E_USAGE',
      `${where} commits batch by batch and cannot run inside a transaction: add \`export const transaction = false\` to the migration`,
      { table },
    );
  }
  if (sameFile(from.file, db.file)) throw new CairnError('E_USAGE', `${where}: the source is this same database`, { table });
  db.exec(`CREATE TABLE IF NOT EXISTS ${MOVES_TABLE} (
    name        TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    phase       TEXT NOT NULL CHECK (phase IN ('copying', 'done')),
    rows        INTEGER,
    started_at  TEXT NOT NULL,
    finished_at TEXT
  )`);
  const key = table.toLowerCase();
  const started = readMove(db, key);
  const base = { table, from: from.file, batches: 0, alreadyDone: false, resumed: started !== undefined, recopied: false, note: null };
  if (started?.phase === 'done') return { ...base, rows: Number(started.rows ?? 0), alreadyDone: true };

  return WriteLock.with(from.file, { timeoutMs: from.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS }, async () => {
    const src = fs.existsSync(from.file) ? openDatabase(from.file, { pragmas: from.pragmas as Pragmas }) : null;
    try {
      const sourceInfo = src ? readTableInfo(src, table) : null;
      if (!src || !sourceInfo) return finishWithoutSource(db, src, options, key, base);
      if (!started) begin(db, src, sourceInfo, options, key);
      const plan = copyPlan(sourceInfo, readTableInfo(db, table) as TableInfo, table);
      // Counted once, then kept by adding each batch's changes: a count per batch would make the move quadratic.
      let rows = count(db, `main.${quoteIdent(table)}`);
      const progress = (phase: MoveProgress['phase']): void => options.onProgress?.({ phase, table, rows });
      progress('copying');
      db.exec(`ATTACH DATABASE ${quoteLiteral(from.file)} AS ${SOURCE}`);
      let batches = 0;
      let recopied = false;
      try {
        for (let attempt = 1; ; attempt++) {
          batches += copyRest(db, plan, batchSize, (copied) => {
            rows += copied;
            progress('batch');
          });
          const difference = dropIfIdentical(db, src, plan, options, key, progress);
          if (difference === null) break;
          if (attempt === 2) {
            throw new CairnError(
              'E_MOVE',
              `${where}: the source keeps changing while it is moved (${difference}); stop what writes to ${from.file} and run the migration again. Both copies are kept.`,
              { table, difference },
            );
          }
          // Something wrote to the source after its rows were copied: copy it all again (the source is untouched).
          db.withTransaction(() => db.exec(`DELETE FROM main.${quoteIdent(table)}`));
          rows = 0;
          recopied = true;
        }
      } finally {
        db.exec(`DETACH DATABASE ${SOURCE}`);
      }
      rows = markDone(db, key, table);
      progress('done');
      return { ...base, rows, batches, recopied };
    } finally {
      src?.close();
    }
  });
}

interface MoveRow {
  name: string;
  source: string;
  phase: 'copying' | 'done';
  rows: number | null;
}

function readMove(db: Db, key: string): MoveRow | undefined {
  return db.prepare(`SELECT name, source, phase, rows FROM ${MOVES_TABLE} WHERE name = ?`).get<MoveRow>(key);
}

function markDone(db: Db, key: string, table: string): number {
  return db.withTransaction(() => {
    const rows = count(db, `main.${quoteIdent(table)}`);
    db.prepare(`UPDATE ${MOVES_TABLE} SET phase = 'done', rows = ?, finished_at = ? WHERE name = ?`).run(rows, new Date().toISOString(), key);
    return rows;
  });
}

/** The source has no such table: it was moved already (a kill after the drop), or there was never anything to move (a fresh install). */
function finishWithoutSource(db: Db, src: Db | null, options: MoveTableOptions, key: string, base: Omit<MoveTableResult, 'rows'>): MoveTableResult {
  const { table, from } = options;
  const moved = src ? movedMarker(src, table) : null;
  const started = readMove(db, key);
  if (started && !moved) {
    throw new CairnError(
      'E_MOVE',
      `moveTable(${table} from ${from.name}): the move began, but ${from.file} no longer has the table and cairn did not drop it; the rows copied so far are kept in the target. Restore the source from a backup, or check the target's copy and mark the move done by hand.`,
      { table },
    );
  }
  if (!readTableInfo(db, table)) {
    throw new CairnError(
      'E_MOVE',
      `moveTable(${table} from ${from.name}): neither ${from.file} nor this store has a table ${table}; create it in one of them (a migration) before moving it`,
      { table },
    );
  }
  db.withTransaction(() => {
    if (!started) {
      db.prepare(`INSERT INTO ${MOVES_TABLE} (name, source, phase, started_at) VALUES (?, ?, 'copying', ?)`).run(key, from.file, new Date().toISOString());
    }
  });
  const rows = markDone(db, key, table);
  options.onProgress?.({ phase: 'done', table, rows });
  return { ...base, rows, note: moved ? null : `${from.file} has no table ${table}: nothing to move (a fresh install)` };
}

function movedMarker(src: Db, table: string): string | null {
  if (!hasHistory(src)) return null; // not a DB cairn migrated: no cairn_meta either
  return readMeta(src, `moved:${table.toLowerCase()}`) ?? null;
}

/**
 * Step 1, one target transaction: the table (created from the source's own
 * DDL and indexes when absent), its emptiness, and the cairn_moves row.
 * Refuses what would break: a source table other source tables reference
 * (dropping it would orphan them) or a target table referencing tables the
 * target lacks (SQLite has no foreign keys across files).
 */
function begin(db: Db, src: Db, sourceInfo: TableInfo, options: MoveTableOptions, key: string): void {
  const { table, from } = options;
  const where = `moveTable(${table} from ${from.name})`;
  const children = foreignKeysTo(readTables(src), sourceInfo.name).map((c) => c.table.name);
  if (children.length > 0) {
    throw new CairnError(
      'E_MOVE',
      `${where}: ${[...new Set(children)].join(', ')} in ${from.file} reference${children.length === 1 ? 's' : ''} ${table}; moving it would leave them pointing at nothing. Move them too, or drop the reference in a ${from.name} migration first.`,
      { table, children },
    );
  }
  db.withTransaction(() => {
    if (!readTableInfo(db, table)) {
      const ddl = src
        .prepare(
          "SELECT sql FROM sqlite_master WHERE tbl_name = ? COLLATE NOCASE AND type IN ('table', 'index') AND sql IS NOT NULL ORDER BY type = 'index', rowid",
        )
        .all<{ sql: string }>(sourceInfo.name);
      for (const { sql } of ddl) db.exec(sql);
    }
    const target = readTableInfo(db, table) as TableInfo;
    const missingParents = target.foreignKeys.map((fk) => fk.table).filter((parent) => !readTableInfo(db, parent));
    if (missingParents.length > 0) {
      throw new CairnError(
        'E_MOVE',
        `${where}: ${table} references ${[...new Set(missingParents)].join(', ')}, which this store does not have (SQLite cannot enforce a foreign key across files). Create ${table} in a migration of this store without that reference, before the move.`,
        { table, missingParents },
      );
    }
    const rows = count(db, `main.${quoteIdent(table)}`);
    if (rows > 0) {
      throw new CairnError('E_MOVE', `${where}: this store's ${table} already holds ${plural(rows, 'row')}; a move copies into an empty table`, {
        table,
        rows,
      });
    }
    assertTriggersFit(db, src, sourceInfo.name, where);
    db.prepare(`INSERT INTO ${MOVES_TABLE} (name, source, phase, started_at) VALUES (?, ?, 'copying', ?)`).run(key, from.file, new Date().toISOString());
  });
}

interface CopyPlan {
  table: string;
  /** Columns copied, quoted. */
  columns: string[];
  /** The key both tables are ordered by: the rowid when both have one, else the primary key. */
  key: string[];
}

function copyPlan(source: TableInfo, target: TableInfo, table: string): CopyPlan {
  const targetColumns = new Set(target.columns.filter((c) => !c.generated).map((c) => c.name.toLowerCase()));
  const copied = source.columns.filter((c) => !c.generated);
  const lacking = copied.filter((c) => !targetColumns.has(c.name.toLowerCase())).map((c) => c.name);
  if (lacking.length > 0) {
    throw new CairnError('E_MOVE', `moveTable(${table}): the target's ${table} has no column ${lacking.join(', ')}; add it, or the rows would lose it`, {
      table,
      lacking,
    });
  }
  const columns = copied.map((c) => quoteIdent(c.name));
  if (!source.withoutRowid && !target.withoutRowid) {
    // An INTEGER PRIMARY KEY is the rowid itself: naming both would set it twice.
    const alias = source.primaryKey.length === 1 && source.columns.find((c) => c.name === source.primaryKey[0])?.type.toUpperCase() === 'INTEGER';
    return { table, columns: alias ? columns : ['rowid', ...columns], key: alias ? [quoteIdent(source.primaryKey[0] as string)] : ['rowid'] };
  }
  const same = source.primaryKey.length > 0 && source.primaryKey.join('\0').toLowerCase() === target.primaryKey.join('\0').toLowerCase();
  if (!same) {
    throw new CairnError(
      'E_MOVE',
      `moveTable(${table}): a WITHOUT ROWID table is copied in primary-key order, so source and target need the same primary key (source: ${source.primaryKey.join(', ') || 'none'}; target: ${target.primaryKey.join(', ') || 'none'})`,
      { table },
    );
  }
  return { table, columns, key: source.primaryKey.map(quoteIdent) };
}

/** Step 2: batches until the source has nothing after the target's largest key. Returns how many it copied. */
function copyRest(db: Db, plan: CopyPlan, batchSize: number, afterBatch: (copied: number) => void): number {
  const t = quoteIdent(plan.table);
  const keys = plan.key.join(', ');
  const tuple = plan.key.length === 1 ? keys : `(${keys})`;
  const last = `(SELECT ${keys} FROM main.${t} ORDER BY ${plan.key.map((k) => `${k} DESC`).join(', ')} LIMIT 1)`;
  // Two statements rather than one `NOT EXISTS … OR key > …`: the OR would stop SQLite using the key's
  // index for the range, and every batch would scan the source from its start.
  const select = (where: string) =>
    db.prepare(`INSERT INTO main.${t} (${plan.columns.join(', ')}) SELECT ${plan.columns.join(', ')} FROM ${SOURCE}.${t} ${where} ORDER BY ${keys} LIMIT ?`);
  const first = select('');
  const next = select(`WHERE ${tuple} > ${last}`);
  const empty = db.prepare(`SELECT NOT EXISTS (SELECT 1 FROM main.${t}) AS empty`);
  const insert = { run: (n: number) => (Number(empty.get<{ empty: number }>()?.empty) === 1 ? first : next).run(n) };
  let batches = 0;
  for (;;) {
    const { changes } = db.withTransaction(() => insert.run(batchSize));
    if (changes === 0) return batches;
    batches++;
    afterBatch(changes);
  }
}

/**
 * Step 3. Under the source's write lock: compare every row, then drop the
 * source table and record where it went, in one source transaction. Returns
 * null when done, or the first difference found (nothing dropped).
 */
function dropIfIdentical(
  db: Db,
  src: Db,
  plan: CopyPlan,
  options: MoveTableOptions,
  key: string,
  progress: (phase: MoveProgress['phase']) => void,
): string | null {
  src.exec('BEGIN IMMEDIATE');
  try {
    const difference = firstDifference(db, plan);
    if (difference !== null) {
      src.exec('ROLLBACK');
      return difference;
    }
    progress('verified');
    // The table's own triggers go with it, created only now that every row is in: created before the copy, they would fire on it.
    // A deferred BEGIN: BEGIN IMMEDIATE would ask for a write lock on the attached source too, which src holds.
    db.exec('BEGIN');
    try {
      carryTriggers(db, src, plan.table);
      db.exec('COMMIT');
    } finally {
      if (db.inTransaction) db.exec('ROLLBACK');
    }
    const brokenBefore = brokenDependents(src);
    src.exec(`DROP TABLE ${quoteIdent(plan.table)}`);
    const broken = [...brokenDependents(src)].filter(([name]) => !brokenBefore.has(name)).map(([name, why]) => `${name} (${why})`);
    if (broken.length > 0) {
      throw new CairnError(
        'E_MOVE',
        `moveTable(${plan.table} from ${options.from.name}): ${broken.join('; ')} in ${options.from.file} would break once ${plan.table} is gone; drop or change ${broken.length === 1 ? 'it' : 'them'} in a ${options.from.name} migration first. The rows are copied; nothing was dropped.`,
        { table: plan.table, broken },
      );
    }
    ensureHistory(src);
    writeMeta(src, `moved:${key}`, JSON.stringify({ to: options.to ?? db.file, file: db.file, at: new Date().toISOString() }));
    src.exec('COMMIT');
    progress('source-dropped');
    return null;
  } finally {
    if (src.inTransaction) src.exec('ROLLBACK');
  }
}

/** The source table's own triggers (DROP TABLE takes them with it), by name. */
function triggersOf(src: Db, table: string): { name: string; sql: string }[] {
  return src
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? COLLATE NOCASE AND sql IS NOT NULL ORDER BY rowid")
    .all<{ name: string; sql: string }>(table);
}

/** Creates in the target each of the table's triggers it does not have yet (a re-run after a kill finds some there). */
function carryTriggers(db: Db, src: Db, table: string): string[] {
  const carried: string[] = [];
  for (const trigger of triggersOf(src, table)) {
    if (db.prepare("SELECT 1 FROM main.sqlite_master WHERE type = 'trigger' AND name = ? COLLATE NOCASE").get(trigger.name)) continue;
    db.exec(trigger.sql);
    carried.push(trigger.name);
  }
  return carried;
}

/**
 * Refuses, before anything is copied, a move whose table has a trigger the
 * target could not run (its body names a table or column this store lacks):
 * it is tried in the target inside a savepoint, compiled, and undone.
 */
function assertTriggersFit(db: Db, src: Db, table: string, where: string): void {
  if (triggersOf(src, table).length === 0) return;
  db.exec('SAVEPOINT cairn_trigger_probe');
  try {
    const brokenBefore = brokenDependents(db);
    const carried = new Set(carryTriggers(db, src, table).map((name) => `trigger ${name}`.toLowerCase()));
    const broken = [...brokenDependents(db)]
      .filter(([name]) => carried.has(name.toLowerCase()) && !brokenBefore.has(name))
      .map(([name, why]) => `${name} (${why})`);
    if (broken.length > 0) {
      throw new CairnError(
        'E_MOVE',
        `${where}: ${broken.join('; ')} on ${table} cannot run in this store; it moves with the table, so create what it needs here first, or drop it in a source migration. Nothing was copied.`,
        { table, broken },
      );
    }
  } finally {
    db.exec('ROLLBACK TO cairn_trigger_probe');
    db.exec('RELEASE cairn_trigger_probe');
  }
}

/** The first source row without an identical copy (or the count when the target has extra rows); null when they match. */
function firstDifference(db: Db, plan: CopyPlan): string | null {
  const t = quoteIdent(plan.table);
  const same = plan.columns.map((c) => `s.${c} IS m.${c}`).join(' AND ');
  const join = plan.key.map((k) => `m.${k} = s.${k}`).join(' AND ');
  const row = db
    .prepare(
      `SELECT ${plan.key.map((k) => `s.${k}`).join(', ')} FROM ${SOURCE}.${t} s LEFT JOIN main.${t} m ON ${join} WHERE NOT (${same}) OR m.${plan.key[0]} IS NULL LIMIT 1`,
    )
    .get<Record<string, unknown>>();
  if (row) return `row ${plan.key.map((k, i) => `${k.replace(/^"|"$/g, '')} = ${JSON.stringify(Object.values(row)[i])}`).join(', ')} differs`;
  const sourceRows = count(db, `${SOURCE}.${t}`);
  const targetRows = count(db, `main.${t}`);
  return sourceRows === targetRows ? null : `the source has ${plural(sourceRows, 'row')}, the copy ${targetRows}`;
}

function count(db: Db, table: string): number {
  return Number(db.prepare(`SELECT count(*) AS n FROM ${table}`).get<{ n: number }>()?.n ?? 0);
}
