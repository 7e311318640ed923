-- +goose Up
-- Reviews of completed orders and the worker's reply (I2). One review per order; tags and images
-- (file ids) are JSON arrays. hidden_* and reply_hidden_* record an operator's moderation;
-- version guards every change (compare-and-swap), so a reply is written once.
CREATE TABLE reviews (
    id                  TEXT PRIMARY KEY,
    order_id            TEXT NOT NULL UNIQUE REFERENCES orders(id),
    customer_id         TEXT NOT NULL REFERENCES people(id),
    worker_id           TEXT NOT NULL REFERENCES people(id),
    rating              INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    text                TEXT NOT NULL DEFAULT '',
    tags                TEXT NOT NULL DEFAULT '[]',
    images              TEXT NOT NULL DEFAULT '[]',
    hidden_at           TIMESTAMPTZ,
    hidden_by           TEXT NOT NULL DEFAULT '',
    hidden_reason       TEXT NOT NULL DEFAULT '',
    reply_text          TEXT NOT NULL DEFAULT '',
    replied_at          TIMESTAMPTZ,
    reply_edited_at     TIMESTAMPTZ,
    reply_hidden_at     TIMESTAMPTZ,
    reply_hidden_by     TEXT NOT NULL DEFAULT '',
    reply_hidden_reason TEXT NOT NULL DEFAULT '',
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
-- A worker's reviews, newest first, and their rating over the visible ones.
CREATE INDEX reviews_worker ON reviews (worker_id, id);
CREATE INDEX reviews_customer ON reviews (customer_id, id);

-- The images of a review (file ids), so the files service can ask who may see a file.
CREATE TABLE review_images (
    review_id TEXT NOT NULL REFERENCES reviews(id),
    file_id   TEXT NOT NULL,
    PRIMARY KEY (review_id, file_id)
);
CREATE INDEX review_images_file ON review_images (file_id);

-- +goose Down
DROP TABLE review_images;
DROP TABLE reviews;
