-- +goose Up
-- Orders (DESIGN.md "Orders"): homebell's compact record of a booking. version guards every
-- transition (compare-and-swap), so two workers accepting at once cannot both win.
CREATE TABLE orders (
    id                TEXT PRIMARY KEY,
    customer_id       TEXT NOT NULL REFERENCES people(id),
    worker_id         TEXT REFERENCES people(id),
    service_item_id   TEXT NOT NULL REFERENCES service_items(id),
    address           TEXT NOT NULL,
    area              TEXT NOT NULL DEFAULT '',
    appointment_at    TIMESTAMPTZ NOT NULL,
    requirements      TEXT NOT NULL DEFAULT '',
    amount_paid_cents BIGINT NOT NULL DEFAULT 0,
    status            TEXT NOT NULL CHECK (status IN ('pending','accepted','in_service','completed','cancelled')),
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_id, id);
CREATE INDEX orders_worker ON orders (worker_id, id);
CREATE INDEX orders_open ON orders (status, appointment_at) WHERE worker_id IS NULL;
CREATE INDEX orders_area ON orders (area, appointment_at);

-- The timeline of an order's transitions (X4).
CREATE TABLE order_events (
    id         TEXT PRIMARY KEY,
    order_id   TEXT NOT NULL REFERENCES orders(id),
    type       TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    details    TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, created_at, id);

-- Time change requests (E1); at most one open per order.
CREATE TABLE change_requests (
    id              TEXT PRIMARY KEY,
    order_id        TEXT NOT NULL REFERENCES orders(id),
    requester_id    TEXT NOT NULL,
    requester_role  TEXT NOT NULL,
    old_time        TIMESTAMPTZ NOT NULL,
    new_time        TIMESTAMPTZ NOT NULL,
    reason          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending','escalated','accepted','declined','withdrawn')),
    needs_operator  BOOLEAN NOT NULL DEFAULT FALSE,
    deadline        TIMESTAMPTZ NOT NULL,
    decided_by      TEXT NOT NULL DEFAULT '',
    decision_reason TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    decided_at      TIMESTAMPTZ
);
CREATE UNIQUE INDEX change_requests_open ON change_requests (order_id) WHERE state IN ('pending','escalated');
CREATE INDEX change_requests_operator ON change_requests (state, needs_operator, created_at);

-- Cancellations and their refunds (E3); at most one awaiting approval per order.
CREATE TABLE cancellations (
    id              TEXT PRIMARY KEY,
    order_id        TEXT NOT NULL REFERENCES orders(id),
    requester_id    TEXT NOT NULL,
    requester_role  TEXT NOT NULL,
    reason          TEXT NOT NULL,
    force_majeure   BOOLEAN NOT NULL DEFAULT FALSE,
    policy          TEXT NOT NULL,
    refund_cents    BIGINT NOT NULL,
    fee_cents       BIGINT NOT NULL,
    refund_eta      TIMESTAMPTZ,
    status          TEXT NOT NULL CHECK (status IN ('pending_approval','approved','declined','settled')),
    decided_by      TEXT NOT NULL DEFAULT '',
    decision_reason TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    decided_at      TIMESTAMPTZ,
    settled_at      TIMESTAMPTZ
);
CREATE UNIQUE INDEX cancellations_pending ON cancellations (order_id) WHERE status = 'pending_approval';
CREATE INDEX cancellations_order ON cancellations (order_id, created_at);
CREATE INDEX cancellations_status ON cancellations (status, created_at);

-- +goose Down
DROP TABLE cancellations;
DROP TABLE change_requests;
DROP TABLE order_events;
DROP TABLE orders;
