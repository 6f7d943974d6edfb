import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { scratchApp } from '../helpers.js';
import { DIST_INDEX } from '../importers/helpers.js';

/**
 * A history schema with a table that has no key (`tokens`): a line read twice
 * would show there as a doubled row, so the kill and refresh tests can see
 * any re-processing, not only missing rows.
 */
export const HISTORY = {
  '0001_convs.sql': 'CREATE TABLE convs (id TEXT PRIMARY KEY, title TEXT NOT NULL);\n',
  '0002_msgs.sql':
    'CREATE TABLE msgs (conv_id TEXT NOT NULL REFERENCES convs (id), seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (conv_id, seq)) WITHOUT ROWID;\n' +
    'CREATE TABLE tokens (conv_id TEXT NOT NULL, n INTEGER NOT NULL);\n',
};

export function jobSource({ batchSize = 200, batchRows = 2_000, leaseMs = 60_000, items = "'convs/**/*.jsonl'" } = {}): string {
  return `
import fs from 'node:fs';
import path from 'node:path';
import { defineBackfill } from ${JSON.stringify(DIST_INDEX)};
export default defineBackfill({
  target: 'hist',
  items: ${items},
  batchSize: ${batchSize},
  batchRows: ${batchRows},
  leaseMs: ${leaseMs},
  map: ({ item, line, value }) => {
    const conv = path.basename(item.file, '.jsonl');
    if (value.head) return { rows: { convs: { id: conv, title: value.title } } };
    if (value.explode) throw new Error('this line cannot be mapped');
    if (value.skip) return null;
    return { rows: { msgs: { conv_id: conv, seq: line, body: value.text }, tokens: { conv_id: conv, n: value.tokens } } };
  },
});
`;
}

export interface HistoryApp {
  dir: string;
  home: string;
  db: string;
  job: string;
}

/** A scratch app with the history schema migrated, and the job declared as `hist`. */
export function historyApp(job = jobSource()): HistoryApp {
  const { dir, config } = scratchApp({ hist: HISTORY });
  const cfg = JSON.parse(fs.readFileSync(config, 'utf8'));
  cfg.home = 'home';
  cfg.backfills = { hist: 'jobs/hist.mjs' };
  fs.writeFileSync(config, JSON.stringify(cfg, null, 2));
  fs.mkdirSync(path.join(dir, 'jobs'));
  fs.writeFileSync(path.join(dir, 'jobs', 'hist.mjs'), job);
  const home = path.join(dir, 'home');
  fs.mkdirSync(home);
  return { dir, home, db: path.join(home, 'hist.sqlite'), job: path.join(dir, 'jobs', 'hist.mjs') };
}

/** One conversation file: a head line and `lines` messages. */
export function conversation(id: number, lines: number): string {
  const out = [JSON.stringify({ head: true, title: `conversation ${id}` })];
  for (let i = 1; i <= lines; i++) out.push(JSON.stringify({ text: `message ${i} of ${id} ${'·'.repeat(i % 7)}`, tokens: (id * 31 + i) % 997 }));
  return out.join('\n') + '\n';
}

/** `count` conversations under home/convs/<day>/c<id>.jsonl, with bad lines when `damage`. */
export function writeConversations(home: string, count: number, lines: number, { damage = true, first = 0 } = {}): string[] {
  const files: string[] = [];
  for (let c = first; c < first + count; c++) {
    const file = path.join(home, 'convs', `d${String(c % 7).padStart(2, '0')}`, `c${String(c).padStart(5, '0')}.jsonl`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    let text = conversation(c, lines);
    if (damage && c % 10 === 3) text += '{"text": "cut in the mid\n'; // malformed
    if (damage && c % 10 === 5) text += JSON.stringify({ explode: true }) + '\n'; // map throws
    if (damage && c % 10 === 7) text += JSON.stringify({ skip: true }) + '\n'; // skipped on purpose
    fs.writeFileSync(file, text);
    if (damage && c % 10 === 9) fs.appendFileSync(file, Buffer.from([0x7b, 0x22, 0x74, 0xff, 0x22, 0x7d, 0x0a])); // invalid UTF-8
    files.push(file);
  }
  return files;
}

export function jobState(db: string, job = 'hist'): Record<string, unknown> | undefined {
  if (!fs.existsSync(db)) return undefined;
  const conn = new Database(db, { readonly: true, timeout: 5000 });
  try {
    const has = conn.prepare("SELECT 1 FROM sqlite_master WHERE name = 'cairn_backfill_state'").get();
    return has ? (conn.prepare('SELECT * FROM cairn_backfill_state WHERE job = ?').get(job) as Record<string, unknown> | undefined) : undefined;
  } finally {
    conn.close();
  }
}

/** A rejects file with the home's path taken out, so two homes compare equal. */
export function normalizedRejects(file: string, home: string): string[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(home).join('<home>'));
}
