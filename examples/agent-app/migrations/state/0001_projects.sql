-- The project registry: one row per workspace the agent knows.
CREATE TABLE projects (
  id          TEXT PRIMARY KEY,
  path        TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE settings (
  project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  key         TEXT NOT NULL,
  value       TEXT NOT NULL, -- JSON; a ';' in a comment is not a statement end
  PRIMARY KEY (project_id, key)
);
