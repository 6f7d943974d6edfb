import { Command, CommanderError } from './commander.js';
import { errorMessage, isCairnError } from '../errors.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { processIo, writeJson, type Io } from './io.js';
import { CAIRN_VERSION } from '../version.js';

/**
 * Runs the CLI on `argv` (without node and script) and resolves to the exit
 * code. Takes argv and io as data, so tests drive it in-process.
 */
export async function run(argv: readonly string[], io: Io = processIo()): Promise<number> {
  let code: number = EXIT.ok;
  const program = await buildProgram(
    io,
    (c) => {
      code = c;
    },
    commandNamed(argv),
  );

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (thrown) {
    if (thrown instanceof CommanderError) {
      // Help asked for (`--help`, `help`) and --version end 0; help shown because no command was given (`cairn` alone) is a
      // usage mistake. Told apart by argv: commander's own exit code for it follows whatever process.exitCode holds.
      const answered = thrown.code === 'commander.helpDisplayed' || thrown.code === 'commander.version' || thrown.code === 'commander.help';
      if (answered && argv.some((arg) => ASKS_FOR_HELP.has(arg))) return EXIT.ok;
      // A parse mistake (an unknown option, a missing argument) under --json is a cairn.error/1 document too.
      if (argv.includes('--json')) writeJson(io, 'error', { ok: false, error: { code: 'E_USAGE', message: thrown.message.replace(/^error: /, '') } });
      return EXIT.usage;
    }
    // A damaged page or a full disk met anywhere is named as such, never a raw SQLite error.
    const { asCairnError } = await import('../failures.js');
    const error = asCairnError(thrown);
    const exit = isCairnError(error) ? exitCodeFor(error.code) : EXIT.failed;
    io.stderr.write(`cairn: ${errorMessage(error)}\n`);
    if (!isCairnError(error) && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    if (argv.includes('--json')) {
      writeJson(io, 'error', {
        ok: false,
        error: isCairnError(error)
          ? { code: error.code, message: error.message, details: error.details }
          : { code: 'E_UNEXPECTED', message: errorMessage(error) },
      });
    }
    return exit;
  }
}

const ASKS_FOR_HELP = new Set(['--help', '-h', 'help', '--version', '-V']);

type Register = (program: InstanceType<typeof Command>, io: Io, done: (code: number) => void) => void;

/** Each command's module, in the order help lists them; snapshot.js declares export, restore, cutover and verify. */
const COMMAND_MODULES: ReadonlyArray<readonly [readonly string[], () => Promise<Register>]> = [
  [['init'], async () => (await import('./commands/init.js')).registerInit],
  [['status'], async () => (await import('./commands/status.js')).registerStatus],
  [['migrate'], async () => (await import('./commands/migrate.js')).registerMigrate],
  [['redo'], async () => (await import('./commands/redo.js')).registerRedo],
  [['lint'], async () => (await import('./commands/lint.js')).registerLint],
  [['new'], async () => (await import('./commands/new.js')).registerNew],
  [['baseline'], async () => (await import('./commands/baseline.js')).registerBaseline],
  [['adopt'], async () => (await import('./commands/adopt.js')).registerAdopt],
  [['import'], async () => (await import('./commands/import.js')).registerImport],
  [['backfill'], async () => (await import('./commands/backfill.js')).registerBackfill],
  [['doctor'], async () => (await import('./commands/doctor.js')).registerDoctor],
  [['tail'], async () => (await import('./commands/tail.js')).registerTail],
  [['sql'], async () => (await import('./commands/sql.js')).registerSql],
  [['prune'], async () => (await import('./commands/prune.js')).registerPrune],
  [['export', 'restore', 'cutover', 'verify'], async () => (await import('./commands/snapshot.js')).registerSnapshot],
];

/**
 * The command argv asks for, when it names one: then only that command's
 * module is loaded (every CLI start pays for each module it loads). Anything
 * else (help, --version, a typo commander should suggest a fix for) gets the
 * whole tree.
 */
export function commandNamed(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--config') i++;
    else if (arg.startsWith('--config=')) continue;
    else if (arg.startsWith('-')) return undefined;
    else return COMMAND_MODULES.some(([names]) => names.includes(arg)) ? arg : undefined;
  }
  return undefined;
}

/**
 * The command tree, every command and flag declared (or only the command
 * `only` names); actions load their code when they run. docs/cli.md is generated from it
 * (scripts/cli-reference.mjs), and a test keeps the two equal.
 */
export async function buildProgram(io: Io, done: (code: number) => void, only?: string): Promise<InstanceType<typeof Command>> {
  const program = new Command('cairn')
    .description('a durable SQLite state layer: stores, migrations, import, backfill, snapshots, doctor')
    .version(CAIRN_VERSION)
    .option('--config <path>', 'the config file (default: $CAIRN_CONFIG, else the nearest cairn.config.* from here upward)')
    .exitOverride()
    .showHelpAfterError('(run cairn --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const wanted = COMMAND_MODULES.filter(([names]) => only === undefined || names.includes(only));
  for (const register of await Promise.all(wanted.map(([, load]) => load()))) register(program, io, done);
  for (const command of program.commands) command.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  return program;
}
