// One cold process of the cold-start bench (see cold-start.mjs): `raw` opens
// the stores as an app would with better-sqlite3 alone; `lib` does the same
// through cairndb. Both run with the app folder as the working directory.
const mode = process.argv[2];
if (mode === 'raw') {
  const { default: Database } = await import('better-sqlite3');
  for (const file of process.argv.slice(3)) {
    const db = new Database(file);
    db.exec('PRAGMA busy_timeout = 5000; PRAGMA journal_mode = wal; PRAGMA foreign_keys = ON; PRAGMA synchronous = normal');
    db.prepare('SELECT MAX(version) FROM cairn_migrations').get();
    db.close();
  }
} else if (mode === 'lib') {
  const { loadConfig, openStores } = await import('cairndb');
  const app = await openStores(await loadConfig());
  app.close();
} else {
  throw new Error(`unknown mode ${mode}`);
}
