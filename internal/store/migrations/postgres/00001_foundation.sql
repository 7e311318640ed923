-- +goose Up
CREATE TABLE people (
    id         TEXT PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('customer','worker','agent','operator')),
    name       TEXT NOT NULL,
    avatar_url TEXT NOT NULL DEFAULT '',
    bio        TEXT NOT NULL DEFAULT '',
    phone      TEXT NOT NULL DEFAULT '',
    locale     TEXT NOT NULL DEFAULT 'zh-CN',
    time_zone  TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    area       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX people_role ON people (role, id);

CREATE TABLE service_items (
    id               TEXT PRIMARY KEY,
    name_zh          TEXT NOT NULL DEFAULT '',
    name_en          TEXT NOT NULL DEFAULT '',
    description_zh   TEXT NOT NULL DEFAULT '',
    description_en   TEXT NOT NULL DEFAULT '',
    duration_minutes INTEGER NOT NULL,
    price_cents      INTEGER NOT NULL,
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE service_keys (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);

-- Platform-wide settings (JWT secret in development, lead times, policies), one JSON value a key.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Idempotency-Key records: the first answer to a creating POST is replayed for the same key.
CREATE TABLE idempotency_keys (
    principal  TEXT NOT NULL,
    key        TEXT NOT NULL,
    request    TEXT NOT NULL,
    status     INTEGER NOT NULL DEFAULT 0,
    response   BYTEA,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE settings;
DROP TABLE service_keys;
DROP TABLE service_items;
DROP TABLE people;
