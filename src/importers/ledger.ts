import fs from 'node:fs';
import path from 'node:path';
import { FILE_MODE, ensurePrivateDir } from '../sqlite/files.js';

/**
 * The files an import's last complete run read, with their size and
 * modification time then, kept in the stores' home beside its rejects
 * files (an import holds no state in the database: running it again is its
 * resume). `cairn doctor` compares the legacy files still on disk with it:
 * imported, changed since, or never imported.
 */
export interface ImportLedger {
  plan: string;
  /** The folder the run read from (`--from`, default the home). */
  from: string;
  finishedAt: string;
  /** Path relative to `from` → [size in bytes, mtime in ms]. */
  files: Record<string, [number, number]>;
}

export function importLedgerFile(home: string, plan: string): string {
  // A plan's name comes from the config: nothing in it may lead the file out of the home.
  return path.join(home, `import-${plan.replace(/[^A-Za-z0-9._-]/g, '_')}.files.json`);
}

/** Records a run that read every source to the end; written whole under a temporary name and renamed, so it is never half there. */
export function writeImportLedger(home: string, plan: string, from: string, files: readonly string[], now: Date): void {
  const ledger: ImportLedger = { plan, from, finishedAt: now.toISOString(), files: {} };
  for (const file of files) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      continue; // gone since it was read: nothing on disk to report
    }
    ledger.files[path.relative(from, file)] = [stat.size, Math.trunc(stat.mtimeMs)];
  }
  ensurePrivateDir(home);
  const target = importLedgerFile(home, plan);
  const temporary = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(ledger) + '\n', { mode: FILE_MODE });
  fs.renameSync(temporary, target);
}

/** The last complete run's ledger, or null when there is none (no complete run yet). A ledger that cannot be read is an error, not "never imported". */
export function readImportLedger(home: string, plan: string): ImportLedger | null {
  const file = importLedgerFile(home, plan);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const ledger = JSON.parse(text) as ImportLedger;
  if (typeof ledger?.from !== 'string' || typeof ledger.files !== 'object' || ledger.files === null) throw new Error(`${file} is not an import ledger`);
  return ledger;
}
