-- +goose Up
-- Order watchers (Y5): people a customer lets follow one order (order_id) or all their orders
-- (order_id = ''). A watcher added by phone is an invite (status invited, person_id '') until the
-- platform's backend resolves it to a synced person. Removing a watcher deletes its row: access
-- is checked against this table on every request, so it ends with the commit.
CREATE TABLE household_watchers (
    id                 TEXT PRIMARY KEY,
    customer_id        TEXT NOT NULL REFERENCES people(id),
    person_id          TEXT NOT NULL DEFAULT '',
    order_id           TEXT NOT NULL DEFAULT '',
    phone              TEXT NOT NULL DEFAULT '',
    can_chat           BOOLEAN NOT NULL DEFAULT FALSE,
    can_answer_changes BOOLEAN NOT NULL DEFAULT FALSE,
    status             TEXT NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
-- One row per customer, watcher and scope.
CREATE UNIQUE INDEX household_watchers_scope ON household_watchers (customer_id, person_id, order_id) WHERE person_id <> '';
-- What a person watches (every order read by a customer who is not its owner looks here).
CREATE INDEX household_watchers_person ON household_watchers (person_id, customer_id);
-- Invites waiting for the platform.
CREATE INDEX household_watchers_status ON household_watchers (status, created_at);

-- +goose Down
DROP TABLE household_watchers;
