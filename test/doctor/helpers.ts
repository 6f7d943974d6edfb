import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { cli, REPO, scratchApp } from '../helpers.js';

/**
 * A healthy two-store app: `app` with a parent/child foreign key and a
 * standalone `notes` table big enough to span many pages, `logs` in rollback
 * journal mode; plus a declared store that was never created.
 */
export const APP = {
  '0001_projects.sql': 'CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n',
  '0002_tasks.sql':
    'CREATE TABLE tasks (id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects (id), title TEXT NOT NULL);\n' +
    'CREATE INDEX tasks_by_project ON tasks (project_id);\n',
  '0003_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n',
};
export const LOGS = { '0001_entries.sql': 'CREATE TABLE entries (id INTEGER PRIMARY KEY, at TEXT NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL);\n' };

export interface DoctorApp {
  dir: string;
  app: string;
  logs: string;
  later: string;
}

export async function healthyApp(): Promise<DoctorApp> {
  const { dir, config } = scratchApp({ app: APP, logs: LOGS, later: {} }, { logs: { pragmas: { journal_mode: 'delete' } } });
  const cfg = JSON.parse(fs.readFileSync(config, 'utf8'));
  cfg.stores.later = { file: 'later.sqlite', migrations: false };
  fs.writeFileSync(config, JSON.stringify(cfg, null, 2));
  const migrated = await cli(dir, 'migrate', '--store', 'app', 'logs');
  if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
  const app = path.join(dir, 'app.sqlite');
  const db = new Database(app);
  db.exec(`
    INSERT INTO projects (id, name) VALUES (1, 'one'), (2, 'two');
    INSERT INTO tasks (project_id, title) SELECT 1 + (value % 2), 'task ' || value FROM (WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < 200) SELECT value FROM n);
    INSERT INTO notes (body) SELECT printf('%.500c', 'x') || value FROM (WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < 400) SELECT value FROM n);
  `);
  db.close();
  const logs = new Database(path.join(dir, 'logs.sqlite'));
  logs.exec("INSERT INTO entries (at, level, message) VALUES ('2026-11-23T10:00:00Z', 'info', 'started')");
  logs.close();
  return { dir, app, logs: path.join(dir, 'logs.sqlite'), later: path.join(dir, 'later.sqlite') };
}

export interface Report {
  schema: string;
  overallStatus: string;
  counts: Record<string, number>;
  checks: Record<string, { id: string; store: string | null; status: string; summary: string; details: Record<string, unknown>; remedy: string | null }>;
}

export async function doctorJson(dir: string, ...args: string[]): Promise<{ code: number; report: Report }> {
  const r = await cli(dir, 'doctor', '--json', ...args);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

export function statuses(report: Report): Record<string, string> {
  return Object.fromEntries(Object.values(report.checks).map((c) => [c.id, c.status]));
}

/** The checks whose status differs between two reports. */
export function changed(before: Report, after: Report): Record<string, string> {
  const a = statuses(before);
  return Object.fromEntries(Object.entries(statuses(after)).filter(([id, status]) => a[id] !== status));
}

/** sha256 of every file in dir (recursively), keyed by relative path. */
export function hashTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    out.set(path.relative(dir, full), crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex'));
  }
  return out;
}

/** Overwrites one page of a table's b-tree (not its root) with noise, as a bad sector or a torn write would. */
export function corruptPageOf(file: string, table: string): void {
  const db = new Database(file, { readonly: true });
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = (db.prepare('SELECT pageno FROM dbstat WHERE name = ? AND pagetype = ? ORDER BY pageno').all(table, 'leaf') as { pageno: number }[]).map(
    (r) => r.pageno,
  );
  db.close();
  const victim = pages[Math.floor(pages.length / 2)];
  if (victim === undefined) throw new Error(`${table} has no leaf pages`);
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, crypto.randomBytes(pageSize - 200), 0, pageSize - 200, (victim - 1) * pageSize + 100);
  fs.closeSync(fd);
}

/** A child process that runs `script` (ESM, better-sqlite3 as `Database`), prints READY when set, and stays until killed. */
export function holdInChild(script: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', `import Database from 'better-sqlite3';\n${script}\nconsole.log('READY');\nsetInterval(() => {}, 1000);`],
    {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('READY')) resolve(child);
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`child exited ${code} before READY`)));
  });
}
