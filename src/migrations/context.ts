import { isPostgresStore, type PostgresStore, type ResolvedStore } from '../config/stores.js';
import { CairnError } from '../errors.js';
import type { Db } from '../sqlite/db.js';
import { moveTable, type MoveProgress, type MoveTableResult } from '../schema/move-table.js';

/** What a TS/JS migration's `up(db, ctx)` / `down(db, ctx)` is handed besides its connection. */
export interface MigrationContext {
  /** The store the migration belongs to. */
  readonly store: string;
  /**
   * Moves a table from another store of the same config into this one
   * (schema/move-table.ts): batched, resumable when killed, the source
   * dropped only after the copy is committed and verified. The migration
   * must declare `export const transaction = false`.
   */
  moveTable(options: { from: string; to?: string; table: string; batchSize?: number }): Promise<MoveTableResult>;
}

/** A step's context, plus what the step did that a restore of this store's backup must not undo. */
export interface StepContext {
  context: MigrationContext;
  /** A source table was dropped after its rows moved here: this store's copy is now the only one. */
  readonly movedIn: string[];
}

export function stepContext(
  db: Db,
  store: ResolvedStore,
  stores: readonly (ResolvedStore | PostgresStore)[] | undefined,
  onProgress?: (event: MoveProgress & { from: string }) => void,
): StepContext {
  const movedIn: string[] = [];
  const context: MigrationContext = {
    store: store.name,
    async moveTable({ from, to, table, batchSize }) {
      if (to !== undefined && to !== store.name) {
        throw new CairnError('E_USAGE', `moveTable({ to: '${to}' }) runs in a migration of the target store; this one belongs to ${store.name}`, { to });
      }
      if (!stores) {
        throw new CairnError(
          'E_USAGE',
          `moveTable needs the other stores of the config: migrate with the registry (cairn migrate, openStores, or migrateStore(store, { stores }))`,
        );
      }
      const source = stores.find((s) => s.name === from);
      if (!source) {
        throw new CairnError('E_USAGE', `moveTable: unknown store ${JSON.stringify(from)}; this config declares: ${stores.map((s) => s.name).join(', ')}`, {
          from,
        });
      }
      if (isPostgresStore(source)) {
        throw new CairnError(
          'E_USAGE',
          `moveTable: stores.${from} is a PostgreSQL store; moveTable moves a table between SQLite stores in this version (copy it with a migration of its own, or keep it where it is)`,
          { from, engine: 'postgres' },
        );
      }
      return moveTable(db, {
        from: source,
        table,
        batchSize,
        to: store.name,
        onProgress: (event) => {
          if (event.phase === 'source-dropped') movedIn.push(table);
          onProgress?.({ ...event, from });
        },
      });
    },
  };
  return { context, movedIn };
}
