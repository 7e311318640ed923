-- +goose Up
-- Conversations (DESIGN.md "Conversations"): one model for order chat (I1), support (I3) and
-- feedback (I4). last_seq numbers the newest message; each member keeps how far they have read.
CREATE TABLE conversations (
    id                TEXT PRIMARY KEY,
    kind              TEXT NOT NULL,
    order_id          TEXT REFERENCES orders(id),
    subject           TEXT NOT NULL DEFAULT '',
    last_seq          INTEGER NOT NULL DEFAULT 0,
    last_message_at   TIMESTAMP,
    last_text         TEXT NOT NULL DEFAULT '',
    last_sender_id    TEXT NOT NULL DEFAULT '',
    closed_at         TIMESTAMP,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
-- An order has at most one conversation of a kind.
CREATE UNIQUE INDEX conversations_order ON conversations (order_id, kind) WHERE order_id IS NOT NULL;

-- Members: sort_at is the conversation's latest activity, copied to every member row, so a
-- person's conversations list newest first by walking conversation_members_person in order.
CREATE TABLE conversation_members (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    person_id       TEXT NOT NULL REFERENCES people(id),
    role            TEXT NOT NULL,
    last_read_seq   INTEGER NOT NULL DEFAULT 0,
    read_at         TIMESTAMP,
    muted           INTEGER NOT NULL DEFAULT 0,
    sort_at         TIMESTAMP NOT NULL,
    joined_at       TIMESTAMP NOT NULL,
    left_at         TIMESTAMP,
    PRIMARY KEY (conversation_id, person_id)
);
CREATE INDEX conversation_members_person ON conversation_members (person_id, sort_at DESC, conversation_id DESC) WHERE left_at IS NULL;

-- Messages in per-conversation order. (conversation_id, sender_id, client_id) makes sending
-- idempotent: a retry finds the message it already sent. original_text is the text as typed,
-- kept only when masking (X5) changed it; only operators see it.
CREATE TABLE messages (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq             INTEGER NOT NULL,
    id              TEXT NOT NULL UNIQUE,
    sender_id       TEXT NOT NULL,
    sender_role     TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    text            TEXT NOT NULL DEFAULT '',
    original_text   TEXT,
    masked          TEXT NOT NULL DEFAULT '',
    file_ids        TEXT NOT NULL DEFAULT '[]',
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE UNIQUE INDEX messages_client ON messages (conversation_id, sender_id, client_id);
CREATE INDEX messages_created ON messages (created_at);

-- Which conversations reference an uploaded file: the files access rule reads it.
CREATE TABLE message_files (
    file_id         TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq             INTEGER NOT NULL,
    PRIMARY KEY (file_id, conversation_id, seq)
);

-- +goose Down
DROP TABLE message_files;
DROP TABLE messages;
DROP TABLE conversation_members;
DROP TABLE conversations;
