-- +goose Up
-- Inbox rows: one notification to one person (S4). event_key makes a notification idempotent:
-- the same happening told twice to the same person stores one row.
CREATE TABLE notifications (
    id           TEXT PRIMARY KEY,
    recipient_id TEXT NOT NULL REFERENCES people(id),
    kind         TEXT NOT NULL,
    category     TEXT NOT NULL,
    importance   INTEGER NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    data         TEXT NOT NULL DEFAULT '{}',
    order_id     TEXT,
    event_key    TEXT NOT NULL,
    alert        TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    read_at      TIMESTAMP
);
CREATE UNIQUE INDEX notifications_event ON notifications (recipient_id, event_key);
CREATE INDEX notifications_by_time ON notifications (recipient_id, created_at DESC, id DESC);
CREATE INDEX notifications_by_importance ON notifications (recipient_id, importance DESC, created_at DESC, id DESC);
CREATE INDEX notifications_unread ON notifications (recipient_id, category) WHERE read_at IS NULL;
CREATE INDEX notifications_order ON notifications (order_id, created_at) WHERE order_id IS NOT NULL;
CREATE INDEX notifications_created ON notifications (category, created_at);

-- Each person's ordered event log (X1): what an open app must see, resumable by seq.
CREATE TABLE person_seq (
    person_id TEXT PRIMARY KEY,
    seq       INTEGER NOT NULL
);
CREATE TABLE person_events (
    person_id  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (person_id, seq)
);
CREATE INDEX person_events_created ON person_events (created_at);

-- Preferences (S1-S3): one JSON document a person; absent = the operators' defaults.
CREATE TABLE preferences (
    person_id  TEXT PRIMARY KEY REFERENCES people(id),
    prefs      TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Durable jobs: reminders, off-app deliveries, escalations, purges. A job with a key is unique
-- by it, so a reminder is moved or cancelled by its key in the same transaction as the change.
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    key          TEXT UNIQUE,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('scheduled','running','done','failed','cancelled')),
    run_at       TIMESTAMP NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    last_error   TEXT NOT NULL DEFAULT '',
    locked_until TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);

-- +goose Down
DROP TABLE jobs;
DROP TABLE preferences;
DROP TABLE person_events;
DROP TABLE person_seq;
DROP TABLE notifications;
