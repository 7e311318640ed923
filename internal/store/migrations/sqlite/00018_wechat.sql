-- +goose Up
-- WeChat mini-program subscribe messages (Y3).

-- A person's openid in the platform's mini-program, reported by the platform backend.
CREATE TABLE wechat_bindings (
    person_id  TEXT PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    openid     TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Operators' per-kind mapping: which WeChat template carries a kind, where a tap leads, and
-- which notice variable fills each template field (fields: JSON [{key, source}]).
CREATE TABLE wechat_templates (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL UNIQUE,
    template_id TEXT NOT NULL,
    title       TEXT NOT NULL DEFAULT '',
    page        TEXT NOT NULL DEFAULT '',
    fields      TEXT NOT NULL DEFAULT '[]',
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

-- The one-time authorisations a person holds per WeChat template: the balance, and one entry per
-- credit (granted), spend (spent), return of an unused spend (returned) and zeroing on WeChat's
-- 43101 (revoked). ref makes an entry idempotent: the platform's report id, or a delivery attempt.
CREATE TABLE wechat_ledger (
    person_id   TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    template_id TEXT NOT NULL,
    balance     INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (person_id, template_id)
);
CREATE TABLE wechat_ledger_entries (
    id            TEXT PRIMARY KEY,
    person_id     TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    template_id   TEXT NOT NULL,
    delta         INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    reason        TEXT NOT NULL CHECK (reason IN ('granted','spent','returned','revoked')),
    ref           TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX wechat_ledger_entries_ref ON wechat_ledger_entries (person_id, template_id, reason, ref);
CREATE INDEX wechat_ledger_entries_person ON wechat_ledger_entries (person_id, created_at);

-- The access token shared by every node, and the lease of the node refreshing it (one refresh
-- for all nodes: WeChat invalidates the previous token on every refresh).
CREATE TABLE wechat_token (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    app_id       TEXT NOT NULL DEFAULT '',
    access_token TEXT NOT NULL DEFAULT '',
    expires_at   TIMESTAMP,
    lease_owner  TEXT NOT NULL DEFAULT '',
    lease_until  TIMESTAMP,
    refreshes    INTEGER NOT NULL DEFAULT 0,
    updated_at   TIMESTAMP
);
INSERT INTO wechat_token (id) VALUES (1);

-- The delivery log takes WeChat sends, and keeps what a channel wants shown (WeChat: template,
-- ledger before and after, WeChat's answer). SQLite cannot change a CHECK: the table is rebuilt.
CREATE TABLE deliveries_new (
    id              TEXT PRIMARY KEY,
    notification_id TEXT NOT NULL,
    recipient_id    TEXT NOT NULL,
    order_id        TEXT,
    kind            TEXT NOT NULL DEFAULT '',
    channel         TEXT NOT NULL CHECK (channel IN ('webpush','webhook','wechat')),
    target          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('queued','sent','failed','retrying','skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    next_attempt_at TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    detail          TEXT NOT NULL DEFAULT ''
);
INSERT INTO deliveries_new (id, notification_id, recipient_id, order_id, kind, channel, target, state, attempts,
    last_status, last_error, next_attempt_at, created_at, updated_at)
SELECT id, notification_id, recipient_id, order_id, kind, channel, target, state, attempts,
    last_status, last_error, next_attempt_at, created_at, updated_at FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE UNIQUE INDEX deliveries_target ON deliveries (notification_id, channel, target);
CREATE INDEX deliveries_order ON deliveries (order_id, created_at) WHERE order_id IS NOT NULL;
CREATE INDEX deliveries_state ON deliveries (state, created_at);
CREATE INDEX deliveries_created ON deliveries (created_at);

-- +goose Down
DROP TABLE wechat_token;
DROP TABLE wechat_ledger_entries;
DROP TABLE wechat_ledger;
DROP TABLE wechat_templates;
DROP TABLE wechat_bindings;
