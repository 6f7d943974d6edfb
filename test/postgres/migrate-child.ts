// One migrating process for the parallel and kill tests: argv is url, schema, migrations folder, lock timeout.
import { migratePostgres } from '../../dist/postgres/migrate.js';

const [url, schema, migrations, timeout] = process.argv.slice(2) as [string, string, string, string];
try {
  const result = await migratePostgres({ name: 'shared', url, schema, migrations, baseline: null, allowOutOfOrder: false, lockTimeoutMs: Number(timeout) });
  process.stdout.write(JSON.stringify({ ok: !result.failed, applied: result.applied.map((s) => s.version), failed: result.failed }));
} catch (error) {
  process.stdout.write(JSON.stringify({ ok: false, error: String((error as Error).message), code: (error as { code?: string }).code }));
  process.exitCode = 2;
}
