import type { Command } from 'commander';
import { isPostgresStore, selectAnyStores, type ResolvedStore } from '../../config/stores.js';
import type { StoreStatus } from '../../migrations/status-report.js';
import { loadRegistry, type GlobalFlags } from '../context.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { styleFor, writeJson, type Io } from '../io.js';

export function registerStatus(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('status')
    .description('show each store: current version, applied, pending, edited, missing, newer-than-app (never writes)')
    .option('--store <name...>', 'only these stores (default: all)')
    .option('--json', 'print one JSON document')
    .option('--check', 'for CI and deploy scripts: exit 1 when a migration is pending (2 when migrate would refuse, 64 when a store cannot be read)')
    .action(async (opts: { store?: string[]; json?: boolean; check?: boolean }) => {
      const { certifiedStatus } = await import('../../migrations/certified-status.js');
      const { renderStatus } = await import('../render-migrations.js');
      const stores = selectAnyStores(await loadRegistry(io, program.opts<GlobalFlags>()), opts.store);
      const { postgresStatus } = stores.some(isPostgresStore) ? await import('../../postgres/status.js') : ({} as never);
      // An up-to-date store is reported from its fingerprint and history alone; any other is read in full (parsers loaded then).
      const fullStatus = async (store: ResolvedStore): Promise<StoreStatus> => (await import('../../migrations/status.js')).storeStatus(store, { env: io.env });
      const statuses = await Promise.all(
        stores.map((store) => (isPostgresStore(store) ? postgresStatus(store, { env: io.env }) : (certifiedStatus(store) ?? fullStatus(store)))),
      );
      if (opts.json) writeJson(io, 'status', { stores: statuses });
      else io.stdout.write(renderStatus(statuses, styleFor(io.stdout, io.env)));
      // A store that migrate would refuse exits as that refusal does (2), one that cannot be inspected as its error (64 for config); never 0.
      const pending = (s: StoreStatus): boolean => opts.check === true && (s.pending.length > 0 || s.baselinePending);
      done(
        Math.max(
          EXIT.ok,
          ...statuses.map((s) => (s.error ? exitCodeFor(s.error.code) : s.refusal ? exitCodeFor(s.refusal.code) : pending(s) ? EXIT.failed : EXIT.ok)),
        ),
      );
    });
}
