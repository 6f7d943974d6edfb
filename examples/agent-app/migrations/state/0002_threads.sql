-- +goose Up
CREATE TABLE threads (
  id          TEXT PRIMARY KEY,
  project_id  TEXT NOT NULL REFERENCES projects (id),
  title       TEXT,
  cli_version TEXT,
  cwd         TEXT,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE INDEX threads_by_project ON threads (project_id, updated_at DESC);

-- +goose StatementBegin
CREATE TRIGGER threads_touch AFTER UPDATE OF title ON threads
BEGIN
  UPDATE threads SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER threads_touch;
DROP TABLE threads;
