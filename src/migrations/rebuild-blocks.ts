import type { RebuildSpec } from '../schema/rebuild.js';

/**
 * `-- +cairn rebuild <table>` … `-- +cairn end` blocks in a SQL migration:
 *
 *   -- +cairn rebuild users
 *   CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, age INTEGER);
 *   -- +cairn copy age = CAST(age AS INTEGER)
 *   -- +cairn drop nickname
 *   -- +cairn end
 *
 * The CREATE TABLE is the table's new shape; cairn runs the rebuild
 * (schema/rebuild.ts) in place of the block. Blocks are cut out of the text
 * (their lines left blank, so line numbers hold) before the file is split
 * into statements, and come back as statements at their own line.
 */
export interface RebuildBlock {
  table: string;
  spec: RebuildSpec;
  /** The block's first line (the `rebuild` annotation). */
  line: number;
  /** The block as written, for dry runs and reports. */
  text: string;
}

export class RebuildBlockError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const ANNOTATION = /^--\s*\+cairn\s+(\w+)\s*(.*)$/i;

export function hasCairnAnnotations(text: string): boolean {
  return /^[ \t]*--\s*\+cairn\b/im.test(text);
}

/** The blocks, and the text with their lines blanked. */
export function extractRebuildBlocks(text: string): { text: string; blocks: RebuildBlock[] } {
  const lines = text.split('\n');
  const blocks: RebuildBlock[] = [];
  let open: { table: string; line: number; body: string[]; copy: Record<string, string>; drop: string[]; raw: string[] } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    const match = ANNOTATION.exec(line.trim());
    if (match) {
      const command = (match[1] as string).toLowerCase();
      const rest = (match[2] as string).trim();
      if (command === 'rebuild') {
        if (open) throw new RebuildBlockError(`-- +cairn rebuild inside the block opened on line ${open.line}; close it with -- +cairn end first`, i + 1);
        if (!rest) throw new RebuildBlockError('-- +cairn rebuild needs the table name: -- +cairn rebuild <table>', i + 1);
        open = { table: rest.replace(/^["`[]|["`\]]$/g, ''), line: i + 1, body: [], copy: {}, drop: [], raw: [line] };
      } else if (!open) {
        throw new RebuildBlockError(`-- +cairn ${command} outside a -- +cairn rebuild block`, i + 1);
      } else if (command === 'copy') {
        const eq = rest.indexOf('=');
        if (eq <= 0) throw new RebuildBlockError('-- +cairn copy needs <column> = <SQL expression over the old row>', i + 1);
        open.copy[rest.slice(0, eq).trim()] = rest.slice(eq + 1).trim();
        open.raw.push(line);
      } else if (command === 'drop') {
        open.drop.push(...rest.split(/[\s,]+/).filter(Boolean));
        open.raw.push(line);
      } else if (command === 'end') {
        open.raw.push(line);
        const create = open.body.join('\n').trim();
        if (!create) throw new RebuildBlockError(`the rebuild block of ${open.table} opened on line ${open.line} holds no CREATE TABLE`, i + 1);
        blocks.push({ table: open.table, line: open.line, text: open.raw.join('\n'), spec: { create, copy: open.copy, drop: open.drop } });
        open = null;
      } else {
        throw new RebuildBlockError(`unknown annotation -- +cairn ${command}; known: rebuild, copy, drop, end`, i + 1);
      }
      lines[i] = '';
      continue;
    }
    if (open) {
      if (!/^\s*--/.test(line)) open.body.push(line);
      open.raw.push(line);
      lines[i] = '';
    }
  }
  if (open) throw new RebuildBlockError(`the rebuild block of ${open.table} opened on line ${open.line} has no -- +cairn end`, lines.length);
  return { text: lines.join('\n'), blocks };
}
