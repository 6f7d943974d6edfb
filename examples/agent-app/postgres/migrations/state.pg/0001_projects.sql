-- The `state` store's logical schema on a server, so `cairn cutover --store state --into state_server`
-- can move the local file's rows here: same tables and columns, PostgreSQL types.
CREATE TABLE projects (
  id          text PRIMARY KEY,
  path        text NOT NULL UNIQUE,
  name        text NOT NULL,
  created_at  text NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
);

CREATE TABLE settings (
  project_id  text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  key         text NOT NULL,
  value       text NOT NULL,
  PRIMARY KEY (project_id, key)
);
