import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { REPO, scratchApp } from '../helpers.js';

/**
 * A three-level chain whose names sort against the foreign keys (zones ←
 * rooms ← items; alphabetically items comes first), so only a writer that
 * orders by the schema gets it right.
 */
export const CHAIN = {
  '0001_zones.sql': 'CREATE TABLE zones (id TEXT PRIMARY KEY, name TEXT NOT NULL);\n',
  '0002_rooms.sql': 'CREATE TABLE rooms (id TEXT PRIMARY KEY, zone_id TEXT NOT NULL REFERENCES zones (id), floor INTEGER NOT NULL CHECK (floor >= 0));\n',
  '0003_items.sql':
    'CREATE TABLE items (room_id TEXT NOT NULL REFERENCES rooms (id), n INTEGER NOT NULL, label TEXT NOT NULL, PRIMARY KEY (room_id, n)) WITHOUT ROWID;\n',
};

export const DIST_INDEX = pathToFileURL(path.join(REPO, 'dist', 'index.js')).href;

/**
 * The plan most tests use: one JSON registry (zones with nested rooms) and a
 * folder of JSONL item files, one per room. Items are declared first: the
 * writer must still insert parents first.
 */
export const CHAIN_PLAN = `
import path from 'node:path';
import { defineImport, source } from ${JSON.stringify(DIST_INDEX)};
export default defineImport({
  target: 'site',
  sources: {
    items: source.jsonl('items/*.jsonl'),
    zones: source.json('zones.json', { each: 'zones' }),
  },
  map: {
    zones: ({ key, value }) => {
      if (value.explode) throw new Error('this zone cannot be mapped');
      return {
        rows: {
          zones: { id: key, name: value.name },
          rooms: (value.rooms ?? []).map((r) => ({ id: r.id, zone_id: key, floor: r.floor })),
        },
        copies: value.photo ? [{ from: value.photo, to: 'photos/' + key + '.jpg', label: 'photos' }] : [],
      };
    },
    items: ({ file, value }) => (value.skip ? null : { rows: { items: { room_id: path.basename(file, '.jsonl'), n: value.n, label: value.label } } }),
  },
});
`;

export interface ChainData {
  zones: Record<string, { name: string; rooms?: { id: string; floor: number }[]; explode?: boolean; photo?: string }>;
  items: Record<string, string>;
}

export function chainData(rooms = 3, itemsPerRoom = 4): ChainData {
  const zones: ChainData['zones'] = { z1: { name: 'north', rooms: [] }, z2: { name: 'south', rooms: [] } };
  const items: ChainData['items'] = {};
  for (let r = 1; r <= rooms; r++) {
    const zone = r % 2 ? 'z1' : 'z2';
    zones[zone]!.rooms!.push({ id: `r${r}`, floor: r });
    items[`r${r}`] = Array.from({ length: itemsPerRoom }, (_, i) => JSON.stringify({ n: i + 1, label: `item ${i + 1} of r${r}` })).join('\n') + '\n';
  }
  return { zones, items };
}

/** A scratch app with the chain schema, the plan, and legacy files under `legacy/`. */
export function chainApp(data: ChainData = chainData(), plan = CHAIN_PLAN): { dir: string; legacy: string; db: string } {
  const { dir, config } = scratchApp({ site: CHAIN });
  const cfg = JSON.parse(fs.readFileSync(config, 'utf8'));
  cfg.imports = { chain: 'plans/chain.mjs' };
  cfg.home = 'home';
  fs.writeFileSync(config, JSON.stringify(cfg, null, 2));
  fs.mkdirSync(path.join(dir, 'plans'));
  fs.writeFileSync(path.join(dir, 'plans', 'chain.mjs'), plan);
  const legacy = path.join(dir, 'legacy');
  writeLegacy(legacy, data);
  return { dir, legacy, db: path.join(dir, 'home', 'site.sqlite') };
}

export function writeLegacy(legacy: string, data: ChainData): void {
  fs.mkdirSync(path.join(legacy, 'items'), { recursive: true });
  fs.writeFileSync(path.join(legacy, 'zones.json'), JSON.stringify({ zones: data.zones }, null, 2));
  for (const [room, text] of Object.entries(data.items)) fs.writeFileSync(path.join(legacy, 'items', `${room}.jsonl`), text);
}

/** Every user table's rows in key order: two DBs with the same data dump the same. */
export function dump(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    const out: Record<string, unknown[]> = {};
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'cairn_%' ORDER BY name")
      .pluck()
      .all() as string[];
    for (const t of tables) {
      const columns = db.prepare(`SELECT count(*) FROM pragma_table_info(?)`).pluck().get(t) as number;
      const order = Array.from({ length: columns }, (_, i) => i + 1).join(', ');
      out[t] = db.prepare(`SELECT * FROM "${t}" ORDER BY ${order}`).all();
    }
    return out;
  } finally {
    db.close();
  }
}

export function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export function readRejects(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}
