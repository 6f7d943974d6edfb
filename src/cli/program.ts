import { Command, CommanderError } from './commander.js';
import { errorMessage, isCairnError } from '../errors.js';
import { asCairnError } from '../failures.js';
import { registerAdopt } from './commands/adopt.js';
import { registerBackfill } from './commands/backfill.js';
import { registerBaseline } from './commands/baseline.js';
import { registerDoctor } from './commands/doctor.js';
import { registerImport } from './commands/import.js';
import { registerLint } from './commands/lint.js';
import { registerMigrate } from './commands/migrate.js';
import { registerNew } from './commands/new.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerStatus } from './commands/status.js';
import { registerTail } from './commands/tail.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { processIo, writeJson, type Io } from './io.js';
import { CAIRN_VERSION } from '../version.js';

/**
 * Runs the CLI on `argv` (without node and script) and resolves to the exit
 * code. Takes argv and io as data, so tests drive it in-process.
 */
export async function run(argv: readonly string[], io: Io = processIo()): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (thrown) {
    if (thrown instanceof CommanderError) {
      return thrown.code === 'commander.helpDisplayed' || thrown.code === 'commander.version' || thrown.code === 'commander.help' ? EXIT.ok : EXIT.usage;
    }
    // A damaged page or a full disk met anywhere is named as such, never a raw SQLite error.
    const error = asCairnError(thrown);
    const exit = isCairnError(error) ? exitCodeFor(error.code) : EXIT.failed;
    io.stderr.write(`cairn: ${errorMessage(error)}\n`);
    if (!isCairnError(error) && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    if (argv.includes('--json')) {
      writeJson(io, {
        ok: false,
        error: isCairnError(error)
          ? { code: error.code, message: error.message, details: error.details }
          : { code: 'E_UNEXPECTED', message: errorMessage(error) },
      });
    }
    return exit;
  }
}

/**
 * The whole command tree, every command and flag declared; actions load
 * their code when they run. docs/cli.md is generated from it
 * (scripts/cli-reference.mjs), and a test keeps the two equal.
 */
export function buildProgram(io: Io, done: (code: number) => void): InstanceType<typeof Command> {
  const program = new Command('cairn')
    .description('a durable SQLite state layer: stores, migrations, import, backfill, snapshots, doctor')
    .version(CAIRN_VERSION)
    .option('--config <path>', 'the config file (default: nearest cairn.config.* from here upward)')
    .exitOverride()
    .showHelpAfterError('(run cairn --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  registerStatus(program, io, done);
  registerMigrate(program, io, done);
  registerLint(program, io, done);
  registerNew(program, io, done);
  registerBaseline(program, io, done);
  registerAdopt(program, io, done);
  registerImport(program, io, done);
  registerBackfill(program, io, done);
  registerDoctor(program, io, done);
  registerTail(program, io, done);
  registerSnapshot(program, io, done);
  for (const command of program.commands) command.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  return program;
}
