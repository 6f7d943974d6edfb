// The app in the prune bench: one insert at a time into the log table, each
// its own transaction, with a 250 ms busy timeout and the store's pragmas,
// until told to stop (stdin closes); prints each insert's latency summary.
import Database from 'better-sqlite3';

const [file, gapUs] = [process.argv[2], Number(process.argv[3] ?? 0)];
const db = new Database(file, { timeout: 250 });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
const insert = db.prepare('INSERT INTO log_entries (ts, level, message) VALUES (?, ?, ?)');
const latencies = [];
let busy = 0;
let stop = false;
process.stdin.on('end', () => (stop = true));
process.stdin.resume();
process.stdout.write('ready\n');
while (!stop) {
  const t = performance.now();
  try {
    insert.run(new Date().toISOString(), 'info', 'a log line written while the table is pruned');
  } catch (error) {
    if (error.code === 'SQLITE_BUSY') busy += 1;
    else throw error;
  }
  latencies.push(performance.now() - t);
  // Yield to the event loop now and then, so stdin's end is seen; a gap between inserts models a real app's rate.
  if (gapUs > 0 || latencies.length % 200 === 0) await new Promise((resolve) => setTimeout(resolve, gapUs / 1000));
}
latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
console.log(JSON.stringify({ inserts: latencies.length, busy, p50: at(0.5), p99: at(0.99), max: latencies.at(-1) }));
