-- +goose Up
-- Notices that must land (Y1): a notice with a read-by deadline has a chain of steps (data, from
-- the operators' per-kind settings) that runs while it stays unread (or, for kinds that need
-- one, unacknowledged). next_step indexes steps; the job of that step is keyed
-- notice:<notification_id>:<next_step>, so reading the notice cancels it by key.
CREATE TABLE notice_chains (
    notification_id TEXT PRIMARY KEY,
    recipient_id    TEXT NOT NULL,
    order_id        TEXT,
    kind            TEXT NOT NULL,
    steps           TEXT NOT NULL,
    next_step       INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL CHECK (state IN ('active','read','acknowledged','moot','done')),
    ack_required    BOOLEAN NOT NULL DEFAULT FALSE,
    urgent          BOOLEAN NOT NULL DEFAULT FALSE,
    escalation      TEXT NOT NULL DEFAULT '',
    interval_s      INTEGER NOT NULL,
    deadline_at     TIMESTAMP NOT NULL,
    until_at        TIMESTAMP,
    next_at         TIMESTAMP,
    acked_at        TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX notice_chains_recipient ON notice_chains (recipient_id, state);
CREATE INDEX notice_chains_state ON notice_chains (state, deadline_at);
CREATE INDEX notice_chains_order ON notice_chains (order_id) WHERE order_id IS NOT NULL;

-- Every step of a chain for the order's audit trail (X4): sent on which channel, skipped,
-- receipt, read, acknowledged, escalated.
CREATE TABLE notice_trail (
    id              TEXT PRIMARY KEY,
    notification_id TEXT NOT NULL,
    recipient_id    TEXT NOT NULL,
    order_id        TEXT,
    kind            TEXT NOT NULL,
    step            TEXT NOT NULL,
    event           TEXT NOT NULL,
    detail          TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX notice_trail_order ON notice_trail (order_id, created_at) WHERE order_id IS NOT NULL;
CREATE INDEX notice_trail_notification ON notice_trail (notification_id, created_at);

-- A chain step may send a notice again on a channel that carried it already: the step is part
-- of a delivery's identity. Receipts come back from gateways (delivered, failed, read).
ALTER TABLE deliveries ADD COLUMN step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN receipt TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN receipt_at TIMESTAMP;
DROP INDEX deliveries_target;
CREATE UNIQUE INDEX deliveries_target ON deliveries (notification_id, channel, target, step);

-- Action tokens (Y2): single-use, short-lived, for a gateway's callback. Only a hash is kept.
CREATE TABLE action_tokens (
    id              TEXT PRIMARY KEY,
    notification_id TEXT NOT NULL,
    recipient_id    TEXT NOT NULL,
    action          TEXT NOT NULL,
    expires_at      TIMESTAMP NOT NULL,
    used_at         TIMESTAMP,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX action_tokens_expires ON action_tokens (expires_at);

-- SOS (Y1): raised from an order by its customer or worker; pages operators until one
-- acknowledges.
CREATE TABLE sos_alerts (
    id           TEXT PRIMARY KEY,
    order_id     TEXT NOT NULL,
    raised_by    TEXT NOT NULL,
    raiser_role  TEXT NOT NULL,
    text         TEXT NOT NULL DEFAULT '',
    pages        INTEGER NOT NULL DEFAULT 0,
    acked_by     TEXT,
    acked_at     TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX sos_alerts_open ON sos_alerts (acked_at, created_at);
CREATE INDEX sos_alerts_order ON sos_alerts (order_id, created_at);

-- +goose Down
DROP TABLE sos_alerts;
DROP TABLE action_tokens;
DROP INDEX deliveries_target;
CREATE UNIQUE INDEX deliveries_target ON deliveries (notification_id, channel, target);
ALTER TABLE deliveries DROP COLUMN receipt_at;
ALTER TABLE deliveries DROP COLUMN receipt;
ALTER TABLE deliveries DROP COLUMN step;
DROP TABLE notice_trail;
DROP TABLE notice_chains;
