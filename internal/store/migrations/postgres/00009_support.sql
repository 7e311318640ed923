-- +goose Up
-- The feedback box (I4): suggestions and complaints from signed-in people, and operators' triage.
-- file_ids and tags are JSON arrays; version guards concurrent triage (compare-and-swap).
CREATE TABLE feedback (
    id          TEXT PRIMARY KEY,
    author_id   TEXT NOT NULL REFERENCES people(id),
    author_role TEXT NOT NULL,
    topic       TEXT NOT NULL CHECK (topic IN ('features','service_quality','worker_management','payments','other')),
    text        TEXT NOT NULL,
    file_ids    TEXT NOT NULL DEFAULT '[]',
    order_id    TEXT REFERENCES orders(id),
    status      TEXT NOT NULL CHECK (status IN ('new','reviewing','planned','done','declined')),
    tags        TEXT NOT NULL DEFAULT '[]',
    answer      TEXT NOT NULL DEFAULT '',
    answered_by TEXT NOT NULL DEFAULT '',
    answered_at TIMESTAMPTZ,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX feedback_author ON feedback (author_id, id);
CREATE INDEX feedback_status ON feedback (status, id);
CREATE INDEX feedback_topic ON feedback (topic, id);
CREATE INDEX feedback_created ON feedback (created_at);

-- The history of a piece of feedback: submitted, status changes, answers, tags.
CREATE TABLE feedback_events (
    id          TEXT PRIMARY KEY,
    feedback_id TEXT NOT NULL REFERENCES feedback(id),
    type        TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '{}',
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX feedback_events_feedback ON feedback_events (feedback_id, created_at, id);

-- +goose Down
DROP TABLE feedback_events;
DROP TABLE feedback;
