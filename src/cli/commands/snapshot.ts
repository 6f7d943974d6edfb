import type { Command } from 'commander';
import path from 'node:path';
import type { PostgresStore, ResolvedStore, StoreRegistry } from '../../config/stores.js';
import { isPostgresStore, selectAnyStores, selectStores } from '../../config/stores.js';
import { CairnError } from '../../errors.js';
import { loadRegistry, type GlobalFlags, fromCwd } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { interruptible, untilStopped } from '../interrupt.js';
import { showsProgress, styleFor, writeJson, type Io } from '../io.js';

/** `--store`, or the only store there is, on either engine. */
function anyStore(registry: StoreRegistry, name: string | undefined): ResolvedStore | PostgresStore {
  if (name) return selectAnyStores(registry, [name])[0]!;
  const all = selectAnyStores(registry);
  if (all.length === 1) return all[0]!;
  throw new CairnError('E_USAGE', `name the store with --store (this config declares: ${all.map((s) => s.name).join(', ')})`);
}

/** The same for a command that works on SQLite stores (a PostgreSQL one is refused by name). */
function oneStore(registry: StoreRegistry, name: string | undefined): ResolvedStore {
  const store = anyStore(registry, name);
  return selectStores(registry, [store.name])[0] as ResolvedStore;
}

/** export, restore, cutover and verify: the snapshot commands. */
export function registerSnapshot(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('export')
    .description('write a store to a portable snapshot: one JSONL file per table plus manifest.json (counts, SHA-256); only reads the store')
    .option('--store <name>', 'the store (default: the only one)')
    .option('--out <dir>', 'the snapshot folder (default: <db>.snapshot-<time> beside the database; for a PostgreSQL store, <store>.snapshot-<time> here)')
    .option('--force', 'replace the snapshot already in --out')
    .option('--json', 'print one JSON summary')
    .action(async (opts: { store?: string; out?: string; force?: boolean; json?: boolean }) => {
      const { renderExport } = await import('../render-snapshot.js');
      const { rowsBar } = await import('../progress.js');
      const registry = await loadRegistry(io, program.opts<GlobalFlags>());
      const store = anyStore(registry, opts.store);
      const out = opts.out ? path.resolve(io.cwd, opts.out) : undefined;
      const bar = rowsBar(io, { json: opts.json });
      const stop = interruptible(io, 'the export', 'the files it wrote are removed');
      // No bar (a pipe, CI, --json): no progress asked for, so the export does not count every table first.
      const options = { out, force: opts.force, env: io.env, signal: stop.signal, onProgress: showsProgress(io, opts.json) ? bar.update : undefined };
      const work = isPostgresStore(store)
        ? (await import('../../postgres/export.js')).exportPostgres(store, { ...options, root: io.cwd })
        : (await import('../../snapshot/export.js')).exportStore(store, options);
      const result = await untilStopped(io, stop, work, bar.stop, 'its files were removed (no snapshot was made). Run the same command again to export');
      if (result === null) return done(stop.exitCode(EXIT.failed));
      if (opts.json) writeJson(io, 'export', { ok: true, ...result });
      else io.stdout.write(renderExport(result, styleFor(io.stdout, io.env)));
      done(EXIT.ok);
    });

  program
    .command('restore')
    .description("restore a snapshot into a new database file at the app's current schema, in one transaction, then verify it")
    .requiredOption('--from <dir>', 'the snapshot folder')
    .option(
      '--target <file>',
      'the database file to fill (never the live store: use cutover for that); a PostgreSQL store is restored into its own schema, with no --target',
    )
    .option('--store <name>', "the store whose schema the target gets (default: the snapshot's)")
    .option('--force', 'replace the rows of a target that already holds data')
    .option('--drop-unknown-columns', "leave out snapshot columns the target's schema no longer has")
    .option('--drop-unknown-tables', "leave out snapshot tables the target's schema no longer has")
    .option('--json', 'print one JSON summary')
    .action(
      async (opts: {
        from: string;
        target?: string;
        store?: string;
        force?: boolean;
        dropUnknownColumns?: boolean;
        dropUnknownTables?: boolean;
        json?: boolean;
      }) => {
        const { readManifest } = await import('../../snapshot/manifest.js');
        const { restoreSnapshot } = await import('../../snapshot/restore.js');
        const { rowsBar } = await import('../progress.js');
        const { renderRestore } = await import('../render-snapshot.js');
        const registry = await loadRegistry(io, program.opts<GlobalFlags>());
        const from = fromCwd(io, opts.from)!;
        const name = opts.store ?? readManifest(from).store;
        const store = anyStore(registry, name);
        const bar = rowsBar(io, { json: opts.json });
        const stop = interruptible(io, 'the restore', 'it is rolled back whole');
        const options = {
          from,
          signal: stop.signal,
          force: opts.force,
          dropUnknownColumns: opts.dropUnknownColumns,
          dropUnknownTables: opts.dropUnknownTables,
          env: io.env,
          onProgress: bar.update,
        };
        if (isPostgresStore(store) && opts.target) {
          throw new CairnError('E_USAGE', `stores.${store.name} is a PostgreSQL store: a restore fills its own schema; leave out --target`, {
            store: store.name,
          });
        }
        if (!isPostgresStore(store) && !opts.target)
          throw new CairnError('E_USAGE', `--target <file>: name the new database file to fill`, { store: store.name });
        const work = isPostgresStore(store)
          ? (await import('../../postgres/restore.js')).restorePostgres(store, options)
          : restoreSnapshot(store, { ...options, target: fromCwd(io, opts.target)! });
        const result = await untilStopped(
          io,
          stop,
          work,
          bar.stop,
          `${isPostgresStore(store) ? `schema ${store.schema} holds what it held` : 'the target was left as it was'}. Run the same command again to restore`,
        );
        if (result === null) return done(stop.exitCode(EXIT.failed));
        if (opts.json) writeJson(io, 'restore', { ok: result.verification.equal, ...result });
        else io.stdout.write(renderRestore(result, styleFor(io.stdout, io.env)));
        done(result.verification.equal ? EXIT.ok : EXIT.failed);
      },
    );

  program
    .command('cutover')
    .description('move a store (a legacy chain, a damaged file) to a fresh file: export, new file, restore, verify, atomic swap; keeps the old file')
    .option('--store <name>', 'the store (default: the only one)')
    .option('--dry-run', 'export, restore and verify into a scratch file; leave the store as it is')
    .option('--force', 'replace leftovers of an earlier cutover with the same names')
    .option('--drop-unknown-columns', 'leave out columns the new schema no longer has')
    .option('--drop-unknown-tables', 'leave out tables the new schema no longer has')
    .option('--accept-differences', 'swap even where the new schema converts values (every row must still be there)')
    .option(
      '--into <store>',
      "move the store's rows into this PostgreSQL store instead, verified row by row; the local file is left as it was, marked as moved",
    )
    .option('--json', 'print one JSON summary')
    .action(
      async (opts: {
        into?: string;
        store?: string;
        dryRun?: boolean;
        force?: boolean;
        dropUnknownColumns?: boolean;
        dropUnknownTables?: boolean;
        acceptDifferences?: boolean;
        json?: boolean;
      }) => {
        const { cutoverStore } = await import('../../snapshot/cutover.js');
        const { renderCutover } = await import('../render-snapshot.js');
        const registry = await loadRegistry(io, program.opts<GlobalFlags>());
        const store = oneStore(registry, opts.store);
        if (opts.into !== undefined) {
          done(await moveInto(io, registry, store, opts as typeof opts & { into: string }));
          return;
        }
        const bars = phaseBars(io, Boolean(opts.json), (await import('../progress.js')).rowsBar);
        const result = await cutoverStore(store, {
          dryRun: opts.dryRun,
          force: opts.force,
          dropUnknownColumns: opts.dropUnknownColumns,
          dropUnknownTables: opts.dropUnknownTables,
          acceptDifferences: opts.acceptDifferences,
          env: io.env,
          onPhase: (phase, detail) => {
            bars.stop();
            if (!opts.json) io.stderr.write(`cutover: ${phase} ${detail}\n`);
          },
          onProgress: showsProgress(io, opts.json) ? (p) => bars.update(p.phase, p) : undefined,
        }).finally(() => bars.stop());
        if (opts.json) writeJson(io, 'cutover', { ok: true, ...result });
        else io.stdout.write(renderCutover(result, styleFor(io.stdout, io.env)));
        done(EXIT.ok);
      },
    );

  program
    .command('verify')
    .description("check a store is sound and at the app's schema (and, given a snapshot, holds exactly its rows); never writes")
    .option('--store <name...>', "only these stores (default: all, or the snapshot's)")
    .option('--db <file>', 'check this file as the store (a restored copy)')
    .option('--snapshot <dir>', 'the rows must match this snapshot')
    .option('--full', 'run PRAGMA integrity_check instead of quick_check')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { store?: string[]; db?: string; snapshot?: string; full?: boolean; json?: boolean }) => {
      const { verifyStores } = await import('../../snapshot/verify.js');
      const { renderDoctor } = await import('../render-doctor.js');
      const registry = await loadRegistry(io, program.opts<GlobalFlags>());
      const report = await verifyStores(registry, {
        stores: opts.store,
        file: fromCwd(io, opts.db),
        snapshot: fromCwd(io, opts.snapshot),
        full: opts.full,
        env: io.env,
      });
      if (opts.json) writeJson(io, 'verify', report);
      else io.stdout.write(renderDoctor(report, styleFor(io.stdout, io.env), { summary: true, title: 'cairn verify' }));
      done(report.overallStatus === 'fail' ? EXIT.failed : EXIT.ok);
    });
}

/** `cutover --store S --into P`: a SQLite store's rows moved into a PostgreSQL store (postgres/cutover-into.ts). */
async function moveInto(
  io: Io,
  registry: StoreRegistry,
  store: ResolvedStore,
  opts: {
    into: string;
    force?: boolean;
    dryRun?: boolean;
    dropUnknownColumns?: boolean;
    dropUnknownTables?: boolean;
    acceptDifferences?: boolean;
    json?: boolean;
  },
): Promise<number> {
  const [into] = selectAnyStores(registry, [opts.into]);
  if (!into || !isPostgresStore(into)) {
    throw new CairnError('E_USAGE', `--into ${opts.into}: not a PostgreSQL store; --into moves a SQLite store's rows into one`, { into: opts.into });
  }
  if (opts.dryRun) throw new CairnError('E_USAGE', '--into has no --dry-run: the move changes the local store only by marking it, once everything is verified');
  if (opts.acceptDifferences) {
    throw new CairnError('E_USAGE', '--into has no --accept-differences: every row must read back on the server as the snapshot has it, or nothing moves');
  }
  const { cutoverInto } = await import('../../postgres/cutover-into.js');
  const result = await cutoverInto(store, into, {
    force: opts.force,
    dropUnknownColumns: opts.dropUnknownColumns,
    dropUnknownTables: opts.dropUnknownTables,
    env: io.env,
    onPhase: (phase, detail) => {
      if (!opts.json) io.stderr.write(`cutover: ${phase} ${detail}\n`);
    },
  });
  if (opts.json) writeJson(io, 'cutover-into', { ok: true, ...result });
  else io.stdout.write(result.next.join('\n') + '\n');
  return EXIT.ok;
}

/** One progress bar per phase of a cutover (export, then restore), each taken down when the next phase begins. */
function phaseBars(io: Io, json: boolean, rowsBar: typeof import('../progress.js').rowsBar) {
  let current: { phase: string; bar: ReturnType<typeof rowsBar> } | null = null;
  return {
    update(phase: string, p: { table: string; rowsDone: number; rowsTotal: number }): void {
      if (current?.phase !== phase) {
        current?.bar.stop();
        current = { phase, bar: rowsBar(io, { json, label: phase }) };
      }
      current.bar.update(p);
    },
    stop(): void {
      current?.bar.stop();
      current = null;
    },
  };
}
