import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { POSTGRES_COMMANDS, selectStores, type ResolvedStore, type StoreRegistry } from '../config/stores.js';
import type { Io } from './io.js';

/** Flags every command shares, defined once (program.ts) and read here. */
export interface GlobalFlags {
  config?: string;
}

export async function loadRegistry(io: Io, flags: GlobalFlags): Promise<StoreRegistry> {
  return loadConfig({ configPath: flags.config, cwd: io.cwd, env: io.env });
}

/** The named SQLite stores (a PostgreSQL one is refused by name, see selectStores). */
export async function storesFor(io: Io, flags: GlobalFlags, names: string[]): Promise<ResolvedStore[]> {
  return selectStores(await loadRegistry(io, flags), names);
}

/**
 * A command that works on SQLite stores only, run over every store, says on
 * stderr which PostgreSQL stores it left out: never a silent gap in a report.
 * Returns their names, for a --json document to carry as well.
 */
export function noteSqliteOnly(io: Io, registry: StoreRegistry, command: string, names: readonly string[] | undefined): string[] {
  if (names && names.length > 0) return []; // named stores are checked by selectStores, which refuses a PostgreSQL one by name
  const left = registry.postgres ?? [];
  if (left.length === 0) return [];
  io.stderr.write(
    `cairn: ${command} covers SQLite stores only in this version; not covered: ${left.map((s) => `${s.name} (PostgreSQL)`).join(', ')}. On PostgreSQL: ${POSTGRES_COMMANDS.map((c) => `cairn ${c}`).join(', ')}\n`,
  );
  return left.map((s) => s.name);
}

/** A path given on the command line, against the command's working folder (which a caller of run() may set), not the process's. */
export function fromCwd(io: Io, file: string | undefined): string | undefined {
  return file === undefined ? undefined : path.resolve(io.cwd, file);
}
