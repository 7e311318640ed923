-- +goose Up
-- Web Push subscriptions (X2): one row per browser endpoint; the endpoint is unique, so a browser
-- that subscribes again (or for another person) replaces its row.
CREATE TABLE push_subscriptions (
    id         TEXT PRIMARY KEY,
    person_id  TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    endpoint   TEXT NOT NULL UNIQUE,
    p256dh     TEXT NOT NULL,
    auth       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX push_subscriptions_person ON push_subscriptions (person_id);

-- Webhook endpoints of the platform's own gateways (X2). The signing secret is kept in clear: it
-- must sign every request. kinds is a JSON array; empty = every kind.
CREATE TABLE webhook_endpoints (
    id                   TEXT PRIMARY KEY,
    url                  TEXT NOT NULL,
    secret               TEXT NOT NULL,
    kinds                TEXT NOT NULL DEFAULT '[]',
    description          TEXT NOT NULL DEFAULT '',
    active               BOOLEAN NOT NULL DEFAULT TRUE,
    failed_deliveries    INTEGER NOT NULL DEFAULT 0,
    last_success_at      TIMESTAMPTZ,
    paused_at            TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);

-- The delivery log (X2, X4): one row per notification and off-app target.
CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    notification_id TEXT NOT NULL,
    recipient_id    TEXT NOT NULL,
    order_id        TEXT,
    kind            TEXT NOT NULL DEFAULT '',
    channel         TEXT NOT NULL CHECK (channel IN ('webpush','webhook')),
    target          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('queued','sent','failed','retrying','skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    next_attempt_at TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX deliveries_target ON deliveries (notification_id, channel, target);
CREATE INDEX deliveries_order ON deliveries (order_id, created_at) WHERE order_id IS NOT NULL;
CREATE INDEX deliveries_state ON deliveries (state, created_at);
CREATE INDEX deliveries_created ON deliveries (created_at);

-- +goose Down
DROP TABLE deliveries;
DROP TABLE webhook_endpoints;
DROP TABLE push_subscriptions;
