-- +goose NO TRANSACTION
-- +goose Up
-- VACUUM cannot run inside a transaction; cairn still holds the store's lock.
PRAGMA auto_vacuum = INCREMENTAL;
VACUUM;
