-- +goose Up
CREATE TABLE thread_goals (
  thread_id  TEXT PRIMARY KEY,
  objective  TEXT NOT NULL,
  status     TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'done')),
  updated_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE thread_goals;
