import { createRequire } from 'node:module';
import type * as Commander from 'commander';

// commander is CommonJS; Node 20's ESM loader takes ~15 ms longer to import it
// (its CommonJS-to-ESM translation) than require() does, on every CLI start.
const commander = createRequire(import.meta.url)('commander') as typeof Commander;

export const { Command, CommanderError, InvalidArgumentError, Option } = commander;
