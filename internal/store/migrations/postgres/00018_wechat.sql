-- +goose Up
-- WeChat mini-program subscribe messages (Y3).

-- A person's openid in the platform's mini-program, reported by the platform backend.
CREATE TABLE wechat_bindings (
    person_id  TEXT PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    openid     TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
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
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- The one-time authorisations a person holds per WeChat template: the balance, and one entry per
-- credit (granted), spend (spent), return of an unused spend (returned) and zeroing on WeChat's
-- 43101 (revoked). ref makes an entry idempotent: the platform's report id, or a delivery attempt.
CREATE TABLE wechat_ledger (
    person_id   TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    template_id TEXT NOT NULL,
    balance     INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    updated_at  TIMESTAMPTZ NOT NULL,
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
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX wechat_ledger_entries_ref ON wechat_ledger_entries (person_id, template_id, reason, ref);
CREATE INDEX wechat_ledger_entries_person ON wechat_ledger_entries (person_id, created_at);

-- The access token shared by every node, and the lease of the node refreshing it (one refresh
-- for all nodes: WeChat invalidates the previous token on every refresh).
CREATE TABLE wechat_token (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    app_id       TEXT NOT NULL DEFAULT '',
    access_token TEXT NOT NULL DEFAULT '',
    expires_at   TIMESTAMPTZ,
    lease_owner  TEXT NOT NULL DEFAULT '',
    lease_until  TIMESTAMPTZ,
    refreshes    INTEGER NOT NULL DEFAULT 0,
    updated_at   TIMESTAMPTZ
);
INSERT INTO wechat_token (id) VALUES (1);

-- The delivery log takes WeChat sends, and keeps what a channel wants shown (WeChat: template,
-- ledger before and after, WeChat's answer).
ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check CHECK (channel IN ('webpush','webhook','wechat'));
ALTER TABLE deliveries ADD COLUMN detail TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE deliveries DROP COLUMN detail;
DELETE FROM deliveries WHERE channel = 'wechat';
ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check CHECK (channel IN ('webpush','webhook'));
DROP TABLE wechat_token;
DROP TABLE wechat_ledger_entries;
DROP TABLE wechat_ledger;
DROP TABLE wechat_templates;
DROP TABLE wechat_bindings;
