#!/usr/bin/env node
import { run } from './program.js';

// `cairn tail -f | head` closes the pipe early: that is the reader saying it has enough, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await run(process.argv.slice(2));
