import type { PgSession } from './session.js';
import { quotePgIdent as qi } from './target.js';
import { appRelationFilter, serverQuoted, stripSchema, viewOrder } from './catalog.js';

/** One statement of a PostgreSQL store's schema, with what it makes (for the report). */
export interface PgSchemaObject {
  type: 'type' | 'domain' | 'sequence' | 'function' | 'table' | 'constraint' | 'index' | 'view' | 'trigger' | 'comment' | 'setting';
  name: string;
  sql: string;
}

const lit = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * A PostgreSQL store's schema as DDL that re-creates it in an empty schema,
 * unqualified so it lands in whatever schema is first on the search_path
 * (the store's, when cairn runs it). Read from the catalogs with the
 * store's schema alone on the search_path, so the server's own deparsers
 * (pg_get_viewdef, pg_get_constraintdef, pg_get_expr …) leave the store's
 * names bare; the few that always qualify (index, trigger and function
 * headers) have that prefix taken off. Order: function bodies unchecked
 * (pg_dump does the same), types, sequences, functions, tables, their
 * constraints, foreign keys, indexes, views in dependency order, their
 * indexes, triggers, sequence ownership, comments.
 *
 * What it does not write (policies, rules, partitions, extensions …) is
 * never lost silently: the baseline is checked against the store before it
 * is written (schema-describe.ts), and anything missing refuses it.
 * Owners and privileges are not schema and are left out, as
 * `pg_dump --no-owner --no-privileges` leaves them.
 */
export async function pgSchemaDump(session: PgSession, schema: string): Promise<PgSchemaObject[]> {
  const out: PgSchemaObject[] = [{ type: 'setting', name: 'check_function_bodies', sql: 'SET LOCAL check_function_bodies = off' }];
  const q = (sql: string) => session.query<Record<string, string | null>>(sql, [schema]);
  const ns = `(SELECT oid FROM pg_namespace WHERE nspname = $1)`;
  const apps = appRelationFilter('c');
  const quoted = await serverQuoted(session, schema);

  for (const t of await q(`SELECT t.typname AS name, (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels
      FROM pg_type t WHERE t.typnamespace = ${ns} AND t.typtype = 'e' ORDER BY t.oid`)) {
    out.push({ type: 'type', name: t.name!, sql: `CREATE TYPE ${qi(t.name!)} AS ENUM (${t.labels ?? ''})` });
  }
  for (const d of await q(`SELECT t.typname AS name, format_type(t.typbasetype, t.typtypmod) AS base, t.typnotnull::text AS notnull, t.typdefault AS dflt,
        CASE WHEN t.typcollation <> b.typcollation THEN (SELECT quote_ident(nspname) || '.' || quote_ident(collname) FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace WHERE c.oid = t.typcollation) END AS coll,
        (SELECT string_agg('CONSTRAINT ' || quote_ident(conname) || ' ' || pg_get_constraintdef(oid), ' ' ORDER BY oid) FROM pg_constraint WHERE contypid = t.oid) AS checks
      FROM pg_type t JOIN pg_type b ON b.oid = t.typbasetype WHERE t.typnamespace = ${ns} AND t.typtype = 'd' ORDER BY t.oid`)) {
    const parts = [
      `CREATE DOMAIN ${qi(d.name!)} AS ${d.base}`,
      d.coll ? `COLLATE ${d.coll}` : '',
      d.dflt ? `DEFAULT ${d.dflt}` : '',
      d.notnull === 'true' ? 'NOT NULL' : '',
      d.checks ?? '',
    ];
    out.push({ type: 'domain', name: d.name!, sql: parts.filter(Boolean).join(' ') });
  }
  for (const s of await q(`SELECT c.relname AS name, format_type(s.seqtypid, NULL) AS type, s.seqincrement::text AS inc, s.seqmin::text AS min, s.seqmax::text AS max,
        s.seqstart::text AS start, s.seqcache::text AS cache, s.seqcycle::text AS cycle
      FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
      WHERE c.relnamespace = ${ns} AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'i') AND ${apps.ownedSequence} ORDER BY c.oid`)) {
    out.push({
      type: 'sequence',
      name: s.name!,
      sql: `CREATE SEQUENCE ${qi(s.name!)} AS ${s.type} INCREMENT BY ${s.inc} MINVALUE ${s.min} MAXVALUE ${s.max} START WITH ${s.start} CACHE ${s.cache}${s.cycle === 'true' ? ' CYCLE' : ' NO CYCLE'}`,
    });
  }
  const functions =
    await q(`SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name, pg_get_functiondef(p.oid) AS def, (p.prosqlbody IS NOT NULL)::text AS atomic
      FROM pg_proc p WHERE p.pronamespace = ${ns} AND p.prokind IN ('f', 'p')
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e') ORDER BY p.oid`);
  const fn = (f: Record<string, string | null>): PgSchemaObject => ({
    type: 'function',
    name: f.name!,
    sql: stripSchema(f.def!.trimEnd(), quoted, 'function'),
  });
  // A BEGIN ATOMIC body is bound to the tables it names when created: it goes after them.
  out.push(...functions.filter((f) => f.atomic !== 'true').map(fn));

  out.push(...(await tables(session, schema)));
  for (const c of await q(`SELECT r.relname AS rel, c.conname AS name, pg_get_constraintdef(c.oid) AS def, c.contype AS type
      FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
      WHERE r.relnamespace = ${ns} AND r.relkind = 'r' AND c.contype IN ('p', 'u', 'c', 'x', 'f') AND c.conislocal AND ${appRelationFilter('r').relation}
      ORDER BY (c.contype = 'f'), c.oid`)) {
    out.push({ type: 'constraint', name: `${c.rel}.${c.name}`, sql: `ALTER TABLE ${qi(c.rel!)} ADD CONSTRAINT ${qi(c.name!)} ${c.def}` });
  }
  const indexes = await q(`SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def, c.relkind AS kind
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
      WHERE c.relnamespace = ${ns} AND ${apps.relation} AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.conrelid = c.oid)
      ORDER BY x.indexrelid`);
  const index = (i: Record<string, string | null>): PgSchemaObject => ({ type: 'index', name: i.name!, sql: stripSchema(i.def!, quoted, 'index') });
  out.push(...indexes.filter((i) => i.kind !== 'm').map(index));
  for (const v of await viewOrder(session, schema)) {
    const options = v.options ? ` WITH (${v.options})` : '';
    const kind = v.kind === 'm' ? 'MATERIALIZED VIEW' : 'VIEW';
    out.push({ type: 'view', name: v.name, sql: `CREATE ${kind} ${qi(v.name)}${v.kind === 'm' ? '' : options} AS\n${v.def.replace(/;\s*$/, '')}` });
  }
  out.push(...indexes.filter((i) => i.kind === 'm').map(index));
  out.push(...functions.filter((f) => f.atomic === 'true').map(fn));
  for (const t of await q(`SELECT t.tgname AS name, pg_get_triggerdef(t.oid) AS def FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      WHERE c.relnamespace = ${ns} AND NOT t.tgisinternal AND ${apps.relation} ORDER BY t.oid`)) {
    out.push({ type: 'trigger', name: t.name!, sql: stripSchema(t.def!, quoted, 'trigger') });
  }
  for (const o of await q(`SELECT s.relname AS seq, t.relname AS rel, a.attname AS col FROM pg_depend d
      JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
      WHERE s.relnamespace = ${ns} AND t.relnamespace = ${ns} AND d.deptype = 'a' AND d.classid = 'pg_class'::regclass ORDER BY s.oid`)) {
    out.push({ type: 'sequence', name: o.seq!, sql: `ALTER SEQUENCE ${qi(o.seq!)} OWNED BY ${qi(o.rel!)}.${qi(o.col!)}` });
  }
  out.push(...(await comments(session, schema)));
  return out;
}

/** CREATE TABLE with every column as it is: type, collation, default or generation, identity, NOT NULL. */
async function tables(session: PgSession, schema: string): Promise<PgSchemaObject[]> {
  const rows = await session.query<{ name: string; unlogged: boolean; options: string | null; columns: string | null }>(
    `SELECT c.relname AS name, c.relpersistence = 'u' AS unlogged, array_to_string(c.reloptions, ', ') AS options,
       (SELECT string_agg(
          quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
          || CASE WHEN a.attcollation <> t.typcollation THEN ' COLLATE ' || (SELECT quote_ident(n.nspname) || '.' || quote_ident(k.collname) FROM pg_collation k JOIN pg_namespace n ON n.oid = k.collnamespace WHERE k.oid = a.attcollation) ELSE '' END
          || CASE WHEN a.attgenerated = 's' THEN ' GENERATED ALWAYS AS (' || pg_get_expr(d.adbin, d.adrelid) || ') STORED'
                  WHEN d.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid) ELSE '' END
          || CASE WHEN a.attidentity IN ('a', 'd') THEN ' GENERATED ' || CASE a.attidentity WHEN 'a' THEN 'ALWAYS' ELSE 'BY DEFAULT' END || ' AS IDENTITY ('
                  || (SELECT 'SEQUENCE NAME ' || quote_ident(sc.relname) || ' INCREMENT BY ' || s.seqincrement || ' MINVALUE ' || s.seqmin || ' MAXVALUE ' || s.seqmax
                      || ' START WITH ' || s.seqstart || ' CACHE ' || s.seqcache || CASE WHEN s.seqcycle THEN ' CYCLE' ELSE ' NO CYCLE' END
                      FROM pg_depend dp JOIN pg_class sc ON sc.oid = dp.objid JOIN pg_sequence s ON s.seqrelid = sc.oid
                      WHERE dp.refobjid = c.oid AND dp.refobjsubid = a.attnum AND dp.deptype = 'i' AND dp.classid = 'pg_class'::regclass) || ')' ELSE '' END
          || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
          E',\\n  ' ORDER BY a.attnum)
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
     FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1) AND c.relkind = 'r' AND NOT c.relispartition
       AND ${appRelationFilter('c').relation} ORDER BY c.oid`,
    [schema],
  );
  return rows.map((t) => ({
    type: 'table',
    name: t.name,
    sql: `CREATE ${t.unlogged ? 'UNLOGGED ' : ''}TABLE ${qi(t.name)} (\n  ${t.columns ?? ''}\n)${t.options ? ` WITH (${t.options})` : ''}`,
  }));
}

/** COMMENT ON for the store's relations, columns, functions, types, constraints and triggers. */
async function comments(session: PgSession, schema: string): Promise<PgSchemaObject[]> {
  const rows = await session.query<{ target: string; text: string }>(
    `SELECT CASE c.relkind WHEN 'v' THEN 'VIEW ' WHEN 'm' THEN 'MATERIALIZED VIEW ' WHEN 'S' THEN 'SEQUENCE ' WHEN 'i' THEN 'INDEX ' ELSE 'TABLE ' END || quote_ident(c.relname) AS target, d.description AS text, 1 AS o, c.oid::bigint AS k
       FROM pg_description d JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0 WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1) AND ${appRelationFilter('c').relation}
     UNION ALL SELECT 'COLUMN ' || quote_ident(c.relname) || '.' || quote_ident(a.attname), d.description, 2, c.oid::bigint * 10000 + a.attnum
       FROM pg_description d JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
       WHERE d.objsubid > 0 AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1) AND ${appRelationFilter('c').relation}
     UNION ALL SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE ' ELSE 'FUNCTION ' END || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')', d.description, 3, p.oid::bigint
       FROM pg_description d JOIN pg_proc p ON p.oid = d.objoid AND d.classoid = 'pg_proc'::regclass WHERE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
     UNION ALL SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN ' ELSE 'TYPE ' END || quote_ident(t.typname), d.description, 4, t.oid::bigint
       FROM pg_description d JOIN pg_type t ON t.oid = d.objoid AND d.classoid = 'pg_type'::regclass WHERE t.typnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
     UNION ALL SELECT 'CONSTRAINT ' || quote_ident(k.conname) || ' ON ' || CASE WHEN k.contypid <> 0 THEN 'DOMAIN ' || quote_ident(t.typname) ELSE quote_ident(c.relname) END, d.description, 5, k.oid::bigint
       FROM pg_description d JOIN pg_constraint k ON k.oid = d.objoid AND d.classoid = 'pg_constraint'::regclass LEFT JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_type t ON t.oid = k.contypid
       WHERE k.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
     UNION ALL SELECT 'TRIGGER ' || quote_ident(g.tgname) || ' ON ' || quote_ident(c.relname), d.description, 6, g.oid::bigint
       FROM pg_description d JOIN pg_trigger g ON g.oid = d.objoid AND d.classoid = 'pg_trigger'::regclass JOIN pg_class c ON c.oid = g.tgrelid WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
     ORDER BY 3, 4`,
    [schema],
  );
  return rows.map((r) => ({ type: 'comment', name: r.target, sql: `COMMENT ON ${r.target} IS ${lit(r.text)}` }));
}
