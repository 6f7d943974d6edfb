import { loadConfig } from '../config/load.js';
import { selectStores, type ResolvedStore, type StoreRegistry } from '../config/stores.js';
import type { Io } from './io.js';

/** Flags every command shares, defined once (program.ts) and read here. */
export interface GlobalFlags {
  config?: string;
}

export async function loadRegistry(io: Io, flags: GlobalFlags): Promise<StoreRegistry> {
  return loadConfig({ configPath: flags.config, cwd: io.cwd, env: io.env });
}

export async function storesFor(io: Io, flags: GlobalFlags, names: string[] | undefined): Promise<ResolvedStore[]> {
  return selectStores(await loadRegistry(io, flags), names);
}
