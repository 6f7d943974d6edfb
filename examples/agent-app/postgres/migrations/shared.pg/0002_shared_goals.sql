-- +goose Up
CREATE TABLE shared_goals (
  id bigserial PRIMARY KEY,
  team_id bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  title text NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
CREATE FUNCTION shared_goals_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER shared_goals_touch BEFORE UPDATE ON shared_goals FOR EACH ROW EXECUTE FUNCTION shared_goals_touch();

-- +goose Down
DROP TABLE shared_goals;
DROP FUNCTION shared_goals_touch();
