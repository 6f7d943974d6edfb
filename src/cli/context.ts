import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { selectStores, type ResolvedStore, type StoreRegistry } from '../config/stores.js';
import type { Io } from './io.js';

/** Flags every command shares, defined once (program.ts) and read here. */
export interface GlobalFlags {
  config?: string;
}

/** The config named by --config, else by CAIRN_CONFIG (set and not empty), else the nearest one found upward. */
export async function loadRegistry(io: Io, flags: GlobalFlags): Promise<StoreRegistry> {
  return loadConfig({ configPath: flags.config ?? (io.env.CAIRN_CONFIG || undefined), cwd: io.cwd, env: io.env });
}

/** The named SQLite stores (a PostgreSQL one is refused by name, see selectStores). */
export async function storesFor(io: Io, flags: GlobalFlags, names: string[]): Promise<ResolvedStore[]> {
  return selectStores(await loadRegistry(io, flags), names);
}

/** A path given on the command line, against the command's working folder (which a caller of run() may set), not the process's. */
export function fromCwd(io: Io, file: string | undefined): string | undefined {
  return file === undefined ? undefined : path.resolve(io.cwd, file);
}
