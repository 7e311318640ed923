-- +goose Up
-- Campaigns (P1, P2): a promotion or a new-service announcement is ONE row, however large its
-- audience (DESIGN.md "Broadcasts"). Message centers show it to audience members on read; read
-- state, pushes and batches are per person or per batch, never a row per audience member at send.
-- title, body, items, rules and audience are JSON documents (model.Campaign).
CREATE TABLE campaigns (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('promotion','new_service')),
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    image_file_id TEXT NOT NULL DEFAULT '',
    items         TEXT NOT NULL DEFAULT '[]',
    rules         TEXT NOT NULL DEFAULT '[]',
    audience      TEXT NOT NULL,
    send_at       TIMESTAMPTZ NOT NULL,
    starts_at     TIMESTAMPTZ,
    ends_at       TIMESTAMPTZ,
    state         TEXT NOT NULL CHECK (state IN ('scheduled','live','cancelled')),
    created_by    TEXT NOT NULL DEFAULT '',
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    cancelled_at  TIMESTAMPTZ
);
CREATE INDEX campaigns_send ON campaigns (send_at);
CREATE INDEX campaigns_created ON campaigns (created_at, id);

-- The explicit audience of a list campaign, from the platform backend.
CREATE TABLE campaign_members (
    campaign_id TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    person_id   TEXT NOT NULL,
    PRIMARY KEY (campaign_id, person_id)
);
CREATE INDEX campaign_members_person ON campaign_members (person_id, campaign_id);

-- Per-person read state of campaigns: a row only once someone read (or opened) one.
CREATE TABLE campaign_reads (
    person_id   TEXT NOT NULL,
    campaign_id TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    read_at     TIMESTAMPTZ NOT NULL,
    opened_at   TIMESTAMPTZ,
    PRIMARY KEY (person_id, campaign_id)
);
CREATE INDEX campaign_reads_campaign ON campaign_reads (campaign_id);

-- Platform pushes per person, for the frequency cap and the pushed count.
CREATE TABLE campaign_pushes (
    person_id   TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    pushed_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (person_id, campaign_id)
);
CREATE INDEX campaign_pushes_campaign ON campaign_pushes (campaign_id);
CREATE INDEX campaign_pushes_recent ON campaign_pushes (person_id, pushed_at);

-- What each fan-out batch found, so a batch that runs twice counts once.
CREATE TABLE campaign_batches (
    campaign_id TEXT NOT NULL,
    batch       TEXT NOT NULL,
    audience    INTEGER NOT NULL DEFAULT 0,
    capped      INTEGER NOT NULL DEFAULT 0,
    deferred    INTEGER NOT NULL DEFAULT 0,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (campaign_id, batch)
);

-- A service item's features, advantages and when it fits (P2), in both languages.
ALTER TABLE service_items ADD COLUMN features_zh TEXT NOT NULL DEFAULT '';
ALTER TABLE service_items ADD COLUMN features_en TEXT NOT NULL DEFAULT '';
ALTER TABLE service_items ADD COLUMN advantages_zh TEXT NOT NULL DEFAULT '';
ALTER TABLE service_items ADD COLUMN advantages_en TEXT NOT NULL DEFAULT '';
ALTER TABLE service_items ADD COLUMN suits_zh TEXT NOT NULL DEFAULT '';
ALTER TABLE service_items ADD COLUMN suits_en TEXT NOT NULL DEFAULT '';

-- Finding customers by the area of their orders (audience areas) and by completed items.
CREATE INDEX orders_customer_status ON orders (customer_id, status, service_item_id);

-- +goose Down
DROP INDEX orders_customer_status;
ALTER TABLE service_items DROP COLUMN suits_en;
ALTER TABLE service_items DROP COLUMN suits_zh;
ALTER TABLE service_items DROP COLUMN advantages_en;
ALTER TABLE service_items DROP COLUMN advantages_zh;
ALTER TABLE service_items DROP COLUMN features_en;
ALTER TABLE service_items DROP COLUMN features_zh;
DROP TABLE campaign_batches;
DROP TABLE campaign_pushes;
DROP TABLE campaign_reads;
DROP TABLE campaign_members;
DROP TABLE campaigns;
