-- +goose Up
-- Uploaded images (I1, I3): metadata here, bytes on disk content-addressed by sha256 (the blob of
-- the re-encoded image and of its thumbnail). One row per upload; the same person uploading the
-- same image again gets the same row back (uploader_id, sha256 is unique).
CREATE TABLE files (
    id            TEXT PRIMARY KEY,
    sha256        TEXT NOT NULL,
    content_type  TEXT NOT NULL CHECK (content_type IN ('image/jpeg','image/png')),
    bytes         BIGINT NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    filename      TEXT NOT NULL DEFAULT '',
    uploader_id   TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    thumb_sha256  TEXT NOT NULL,
    thumb_bytes   BIGINT NOT NULL,
    thumb_width   INTEGER NOT NULL,
    thumb_height  INTEGER NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX files_uploader_sha ON files (uploader_id, sha256);
CREATE INDEX files_sha ON files (sha256);

-- +goose Down
DROP TABLE files;
