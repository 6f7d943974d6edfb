#!/usr/bin/env node
import { CAIRN_VERSION } from '../version.js';

// `cairn tail -f | head` closes the pipe early: that is the reader saying it has enough, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // Answered before the CLI loads: scripts call `cairn --version` to check an install, and it should cost what `node -e 0` costs.
  process.stdout.write(`${CAIRN_VERSION}\n`);
} else {
  const { run } = await import('./program.js');
  const code = await run(argv);
  process.exitCode = code;
  // A command stopped by Ctrl-C or SIGTERM has said what it did and returns 130 / 143 (interrupt.ts); the process then
  // ends by that signal, as Unix programs do, so a shell sees it (and a script running cairn stops too).
  const signal = code === 130 ? 'SIGINT' : code === 143 ? 'SIGTERM' : null;
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
}
