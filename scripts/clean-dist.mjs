// Empties dist/ before a build, so a file deleted or renamed in src/ never
// lingers in dist/ and ships in the tarball.
import fs from 'node:fs';

fs.rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
