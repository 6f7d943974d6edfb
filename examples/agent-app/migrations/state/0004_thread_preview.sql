-- +goose Up
ALTER TABLE threads ADD COLUMN preview TEXT;

-- +goose Down
ALTER TABLE threads DROP COLUMN preview;
