// Empties a build output folder (dist/ by default, build/ for the compiled
// tests) before it is written again, so a file deleted or renamed in src/ or
// test/ never lingers: in the tarball, or as a stale test that still runs.
import fs from 'node:fs';

const folder = process.argv[2] ?? 'dist';
if (!['dist', 'build'].includes(folder)) throw new Error(`clean-dist: only dist or build, not ${folder}`);
fs.rmSync(new URL(`../${folder}`, import.meta.url), { recursive: true, force: true });
