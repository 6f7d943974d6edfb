CREATE TABLE log_entries (
  id        INTEGER PRIMARY KEY,
  at        TEXT NOT NULL,
  level     TEXT NOT NULL CHECK (level IN ('trace', 'debug', 'info', 'warn', 'error')),
  target    TEXT NOT NULL,
  message   TEXT NOT NULL,
  thread_id TEXT
);
CREATE INDEX log_entries_by_at ON log_entries (at);
