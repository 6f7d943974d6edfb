-- +goose Up
-- Teams share goals across the agents of several machines.
CREATE TABLE teams (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE teams;
