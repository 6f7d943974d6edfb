-- +goose Up
CREATE TABLE events (
  thread_id  TEXT    NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  kind       TEXT    NOT NULL,
  payload    TEXT    NOT NULL,
  at         TEXT    NOT NULL,
  PRIMARY KEY (thread_id, seq)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE events;
