CREATE TABLE threads (
  id          text PRIMARY KEY,
  project_id  text NOT NULL REFERENCES projects (id),
  title       text,
  cli_version text,
  cwd         text,
  created_at  text NOT NULL,
  updated_at  text NOT NULL,
  preview     text
);
CREATE INDEX threads_by_project ON threads (project_id, updated_at DESC);
