import { FOREIGN_HISTORY_TABLES } from '../migrations/foreign-tables.js';
import type { PgSession } from './session.js';

// Catalog helpers the PostgreSQL baseline's dump and check share.

/**
 * SQL conditions that keep a store's own relations only: cairn's tables
 * and other tools' history tables are not the app's schema (as on SQLite).
 * `alias` is the pg_class alias of the relation being filtered.
 */
export function appRelationFilter(alias: string): { relation: string; ownedSequence: string } {
  const foreign = [...FOREIGN_HISTORY_TABLES].map((name) => `'${name}'`).join(', ');
  return {
    relation: `${alias}.relname NOT LIKE 'cairn\\_%' AND ${alias}.relname NOT IN (${foreign})`,
    ownedSequence: `NOT EXISTS (SELECT 1 FROM pg_depend od JOIN pg_class ot ON ot.oid = od.refobjid
      WHERE od.objid = ${alias}.oid AND od.deptype IN ('a', 'i') AND (ot.relname LIKE 'cairn\\_%' OR ot.relname IN (${foreign})))`,
  };
}

/**
 * A deparsed definition with the store's schema taken off the one name the
 * server always qualifies: a function's or procedure's own name, an index's
 * or trigger's table. `quoted` is the schema as the server quotes it
 * (quote_ident). Only that first, structural occurrence is touched.
 */
export function stripSchema(def: string, quoted: string, kind: 'function' | 'index' | 'trigger'): string {
  const prefix = `${quoted}.`;
  const anchor =
    kind === 'function'
      ? /^(CREATE OR REPLACE (?:FUNCTION|PROCEDURE) )/
      : kind === 'index'
        ? /^(CREATE (?:UNIQUE )?INDEX (?:"(?:[^"]|"")*"|\S+) ON (?:ONLY )?)/
        : /^(CREATE (?:CONSTRAINT )?TRIGGER [\s\S]*? ON )/;
  const match = anchor.exec(def);
  if (!match || !def.startsWith(prefix, match[1]!.length)) return def;
  return match[1]! + def.slice(match[1]!.length + prefix.length);
}

export interface PgView {
  name: string;
  kind: 'v' | 'm';
  def: string;
  options: string | null;
}

/** The store's views and materialized views, each after every view it reads (creation order among equals). */
export async function viewOrder(session: PgSession, schema: string): Promise<PgView[]> {
  const views = await session.query<PgView & { oid: number; deps: number[] | null }>(
    `SELECT c.oid::int AS oid, c.relname AS name, c.relkind AS kind, pg_get_viewdef(c.oid) AS def, array_to_string(c.reloptions, ', ') AS options,
       (SELECT array_agg(DISTINCT d.refobjid::int) FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
        WHERE r.ev_class = c.oid AND d.refobjid <> c.oid) AS deps
     FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1) AND c.relkind IN ('v', 'm') ORDER BY c.oid`,
    [schema],
  );
  const byOid = new Map(views.map((v) => [v.oid, v]));
  const done = new Set<number>();
  const out: PgView[] = [];
  const visit = (view: (typeof views)[number], path: Set<number>): void => {
    if (done.has(view.oid) || path.has(view.oid)) return;
    path.add(view.oid);
    for (const dep of view.deps ?? []) {
      const other = byOid.get(dep);
      if (other) visit(other, path);
    }
    done.add(view.oid);
    out.push({ name: view.name, kind: view.kind, def: view.def, options: view.options });
  };
  for (const view of views) visit(view, new Set());
  return out;
}

/** The schema's name as the server quotes it in deparsed text. */
export async function serverQuoted(session: PgSession, schema: string): Promise<string> {
  const [row] = await session.query<{ q: string }>('SELECT quote_ident($1) AS q', [schema]);
  return row!.q;
}
