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
    answered_at TIMESTAMP,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX feedback_author ON feedback (author_id, id);
CREATE INDEX feedback_status ON feedback (status, id);
CREATE INDEX feedback_topic ON feedback (topic, id);
CREATE INDEX feedback_created ON feedback (created_at);

-- Which feedback shows which uploaded image (operators may read those images).
CREATE TABLE feedback_files (
    file_id     TEXT NOT NULL,
    feedback_id TEXT NOT NULL REFERENCES feedback(id),
    PRIMARY KEY (file_id, feedback_id)
);

-- The history of a piece of feedback: submitted, status changes, answers, tags.
CREATE TABLE feedback_events (
    id          TEXT PRIMARY KEY,
    feedback_id TEXT NOT NULL REFERENCES feedback(id),
    type        TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '{}',
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX feedback_events_feedback ON feedback_events (feedback_id, created_at, id);

-- Online customer service (I3). The conversation and its messages are chat's (kind support);
-- these tables hold what only support has: the queue and who holds each conversation, agents'
-- capacity and presence, internal notes, canned replies and satisfaction ratings.
CREATE TABLE support_agents (
    agent_id   TEXT PRIMARY KEY REFERENCES people(id),
    capacity   INTEGER NOT NULL DEFAULT 5,
    away       BOOLEAN NOT NULL DEFAULT FALSE,
    seen_at    TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);

-- One row per support conversation. agent_id NULL while it waits in the queue; a claim is a
-- conditional UPDATE (agent_id IS NULL, version), so exactly one agent wins.
CREATE TABLE support_threads (
    conversation_id  TEXT PRIMARY KEY,
    requester_id     TEXT NOT NULL REFERENCES people(id),
    requester_role   TEXT NOT NULL,
    order_id         TEXT REFERENCES orders(id),
    subject          TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL CHECK (status IN ('open','pending','resolved')),
    agent_id         TEXT REFERENCES people(id),
    queued_at        TIMESTAMP,
    assigned_at      TIMESTAMP,
    resolved_at      TIMESTAMP,
    resolutions      INTEGER NOT NULL DEFAULT 0,
    auto_replied_at  TIMESTAMP,
    last_customer_at TIMESTAMP,
    last_agent_at    TIMESTAMP,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX support_threads_queue ON support_threads (queued_at) WHERE agent_id IS NULL AND status <> 'resolved';
CREATE INDEX support_threads_agent ON support_threads (agent_id, status);
CREATE INDEX support_threads_requester ON support_threads (requester_id, created_at);

-- What happened to a support conversation: queued, assigned, claimed, transferred (with a note),
-- released, returned (agent offline), resolved, reopened, rated.
CREATE TABLE support_events (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    type            TEXT NOT NULL,
    actor_id        TEXT NOT NULL,
    actor_role      TEXT NOT NULL,
    agent_id        TEXT NOT NULL DEFAULT '',
    details         TEXT NOT NULL DEFAULT '{}',
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX support_events_conversation ON support_events (conversation_id, created_at, id);

-- Internal notes: visible to agents and operators only, never to the customer.
CREATE TABLE support_notes (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    author_id       TEXT NOT NULL REFERENCES people(id),
    text            TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX support_notes_conversation ON support_notes (conversation_id, created_at, id);

-- Canned replies managed by operators; {customer}, {order_no} and {worker} are filled in.
CREATE TABLE canned_replies (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Satisfaction: one rating per resolve (resolution is the resolve's number).
CREATE TABLE support_ratings (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    resolution      INTEGER NOT NULL,
    requester_id    TEXT NOT NULL,
    agent_id        TEXT NOT NULL DEFAULT '',
    score           INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment         TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    UNIQUE (conversation_id, resolution)
);
CREATE INDEX support_ratings_created ON support_ratings (created_at);

-- +goose Down
DROP TABLE support_ratings;
DROP TABLE canned_replies;
DROP TABLE support_notes;
DROP TABLE support_events;
DROP TABLE support_threads;
DROP TABLE support_agents;
DROP TABLE feedback_events;
DROP TABLE feedback_files;
DROP TABLE feedback;
