-- +goose NO TRANSACTION
-- +goose Up
-- Built without locking writers out: outside a transaction, as PostgreSQL requires.
CREATE INDEX CONCURRENTLY IF NOT EXISTS shared_goals_open ON shared_goals (team_id) WHERE status = 'open';

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS shared_goals_open;
