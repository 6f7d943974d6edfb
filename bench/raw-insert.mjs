// The raw insert limit the import and backfill benches compare against, in
// one place so both measure it the same way: rows already built in memory
// (not timed), one prepared INSERT, BATCH rows per transaction, WAL with
// synchronous=NORMAL (cairn's defaults).
import Database from 'better-sqlite3';
import fs from 'node:fs';

/** Loads `rows` (arrays of five values) into a fresh `file`; resolves to the seconds the inserts took. */
export function rawInsert(file, schema, insertSql, rows, batchSize) {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(schema);
  const insert = db.prepare(insertSql);
  const batch = db.transaction((slice) => {
    for (const r of slice) insert.run(r[0], r[1], r[2], r[3], r[4]);
  });
  const t = performance.now();
  for (let i = 0; i < rows.length; i += batchSize) batch(rows.slice(i, i + batchSize));
  const seconds = (performance.now() - t) / 1000;
  db.close();
  return seconds;
}
