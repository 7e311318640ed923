-- +goose Up
-- The visit (Y4): one row per order for its current worker's way to the door. A row of another
-- worker (the order was reassigned) counts as no visit; the new worker's first step replaces it.
CREATE TABLE order_visits (
    order_id        TEXT PRIMARY KEY REFERENCES orders(id),
    worker_id       TEXT NOT NULL,
    on_the_way_at   TIMESTAMPTZ,
    eta             TIMESTAMPTZ,
    told_eta        TIMESTAMPTZ,   -- the arrival estimate the customer was last told
    told_at         TIMESTAMPTZ,
    nudged_at       TIMESTAMPTZ,
    late_for        TIMESTAMPTZ,   -- the appointment the operators were told this worker had not set out for
    arrived_at      TIMESTAMPTZ,
    start_code      TEXT NOT NULL DEFAULT '',
    code_failures   INTEGER NOT NULL DEFAULT 0,
    started_at      TIMESTAMPTZ,
    override_by     TEXT NOT NULL DEFAULT '',
    override_reason TEXT NOT NULL DEFAULT '',
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX order_visits_late ON order_visits (late_for) WHERE late_for IS NOT NULL;

-- Proof of service (Y4): the photos a completion carries, kept as long as the order.
CREATE TABLE order_photos (
    order_id   TEXT NOT NULL REFERENCES orders(id),
    file_id    TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    phase      TEXT NOT NULL CHECK (phase IN ('before','after')),
    position   INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (order_id, file_id)
);
CREATE INDEX order_photos_file ON order_photos (file_id);

-- +goose Down
DROP TABLE order_photos;
DROP TABLE order_visits;
