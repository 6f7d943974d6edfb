import type { PgSession } from './session.js';
import { appRelationFilter, serverQuoted, stripSchema } from './catalog.js';

/**
 * Everything in one schema the server keeps, as comparable lines, read
 * straight from the catalogs and apart from the dump (schema-dump.ts): a
 * baseline is written only when running it in an empty schema gives the
 * same lines as the store's. It names every kind of object a schema can
 * hold, the ones the dump does not write included (policies, rules,
 * partitions, inheritance, extensions, statistics, operators …), so such an
 * object shows up as missing instead of being dropped in silence.
 * Run with the described schema alone on the search_path, so names in
 * deparsed text are bare in both schemas. Owners and privileges are left
 * out, as the dump leaves them.
 */
export async function describeSchema(session: PgSession, schema: string): Promise<Set<string>> {
  const quoted = await serverQuoted(session, schema);
  const lines = new Set<string>();
  const ns = '(SELECT oid FROM pg_namespace WHERE nspname = $1)';
  const app = appRelationFilter('c');
  const add = async (
    label: string,
    sql: string,
    shape: (row: Record<string, unknown>) => string = (row) => Object.values(row).map(text).join(' '),
  ): Promise<void> => {
    for (const row of await session.query(sql, [schema])) lines.add(`${label} ${shape(row)}`);
  };

  await add(
    'relation',
    `SELECT c.relname, c.relkind, c.relpersistence, c.reloptions, c.relrowsecurity, c.relforcerowsecurity, c.relreplident, c.relispartition,
       c.reloftype::regtype, pg_get_partkeydef(c.oid), pg_get_expr(c.relpartbound, c.oid),
       (SELECT array_agg(p.relname ORDER BY i.inhseqno) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = c.oid) AS parents
     FROM pg_class c WHERE c.relnamespace = ${ns} AND c.relkind NOT IN ('i', 'I', 'S', 't') AND ${app.relation}`,
  );
  await add(
    'column',
    `SELECT c.relname || '.' || a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, a.attgenerated,
       a.attcollation::regcollation, pg_get_expr(d.adbin, d.adrelid), a.attstorage = t.typstorage AS default_storage,
       row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS position
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE c.relnamespace = ${ns} AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c') AND a.attnum > 0 AND NOT a.attisdropped AND ${app.relation}`,
  );
  await add(
    'constraint',
    `SELECT coalesce(c.relname, t.typname) || '.' || k.conname, k.contype, pg_get_constraintdef(k.oid), k.conislocal
     FROM pg_constraint k LEFT JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_type t ON t.oid = k.contypid
     WHERE k.connamespace = ${ns} AND (c.oid IS NULL OR (${app.relation}))`,
  );
  for (const row of await session.query<{ name: string; def: string }>(
    `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
     WHERE c.relnamespace = ${ns} AND ${app.relation}`,
    [schema],
  )) {
    lines.add(`index ${row.name}: ${stripSchema(row.def, quoted, 'index')}`);
  }
  await add(
    'sequence',
    `SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
       (SELECT d.deptype::text || ' ' || t.relname || '.' || a.attname FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
        WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')) AS owner
     FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace = ${ns} AND ${app.ownedSequence}`,
  );
  await add('view', `SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c WHERE c.relnamespace = ${ns} AND c.relkind IN ('v', 'm')`);
  for (const row of await session.query<{ name: string; kind: string; def: string | null }>(
    `SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name, p.prokind AS kind,
       CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) END AS def
     FROM pg_proc p WHERE p.pronamespace = ${ns}`,
    [schema],
  )) {
    lines.add(
      `routine ${row.name} ${row.kind}: ${row.def === null ? '(an aggregate or window function)' : stripSchema(row.def.trimEnd(), quoted, 'function')}`,
    );
  }
  for (const row of await session.query<{ name: string; def: string; enabled: string }>(
    `SELECT t.tgname AS name, pg_get_triggerdef(t.oid) AS def, t.tgenabled AS enabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = ${ns} AND NOT t.tgisinternal AND ${app.relation}`,
    [schema],
  )) {
    lines.add(`trigger ${row.name} ${row.enabled}: ${stripSchema(row.def, quoted, 'trigger')}`);
  }
  await add(
    'type',
    `SELECT t.typname, t.typtype, format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault, t.typcollation::regcollation,
       (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels
     FROM pg_type t LEFT JOIN pg_class c ON c.oid = t.typrelid
     WHERE t.typnamespace = ${ns} AND (t.typrelid = 0 OR c.relkind = 'c') AND NOT (t.typcategory = 'A' AND t.typelem <> 0)`,
  );
  await add(
    'policy',
    `SELECT p.polname, c.relname, p.polcmd, p.polpermissive, p.polroles::regrole[], pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
     FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = ${ns}`,
  );
  await add(
    'rule',
    `SELECT r.rulename, c.relname, pg_get_ruledef(r.oid) FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class WHERE c.relnamespace = ${ns} AND r.rulename <> '_RETURN'`,
  );
  await add('statistics', `SELECT stxname FROM pg_statistic_ext WHERE stxnamespace = ${ns}`);
  await add(
    'object',
    `SELECT 'collation ' || collname FROM pg_collation WHERE collnamespace = ${ns}
     UNION ALL SELECT 'operator ' || oprname FROM pg_operator WHERE oprnamespace = ${ns}
     UNION ALL SELECT 'operator class ' || opcname FROM pg_opclass WHERE opcnamespace = ${ns}
     UNION ALL SELECT 'operator family ' || opfname FROM pg_opfamily WHERE opfnamespace = ${ns}
     UNION ALL SELECT 'conversion ' || conname FROM pg_conversion WHERE connamespace = ${ns}
     UNION ALL SELECT 'text search configuration ' || cfgname FROM pg_ts_config WHERE cfgnamespace = ${ns}
     UNION ALL SELECT 'text search dictionary ' || dictname FROM pg_ts_dict WHERE dictnamespace = ${ns}
     UNION ALL SELECT 'extension ' || extname FROM pg_extension WHERE extnamespace = ${ns}`,
  );
  await add(
    'comment',
    `SELECT pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description FROM pg_description d
     WHERE (d.classoid = 'pg_class'::regclass AND d.objoid IN (SELECT c.oid FROM pg_class c WHERE c.relnamespace = ${ns} AND ${app.relation}))
        OR (d.classoid = 'pg_proc'::regclass AND d.objoid IN (SELECT oid FROM pg_proc WHERE pronamespace = ${ns}))
        OR (d.classoid = 'pg_type'::regclass AND d.objoid IN (SELECT oid FROM pg_type WHERE typnamespace = ${ns}))
        OR (d.classoid = 'pg_constraint'::regclass AND d.objoid IN (SELECT oid FROM pg_constraint WHERE connamespace = ${ns}))
        OR (d.classoid = 'pg_trigger'::regclass AND d.objoid IN (SELECT t.oid FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = ${ns}))`,
  );
  return lines;
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return `[${value.map(text).join(',')}]`;
  return String(value);
}
