-- seq is bigint: a SQLite INTEGER holds 64 bits.
CREATE TABLE events (
  thread_id  text   NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
  seq        bigint NOT NULL,
  kind       text   NOT NULL,
  payload    text   NOT NULL,
  at         text   NOT NULL,
  PRIMARY KEY (thread_id, seq)
);
