-- +goose Up
-- The operators' order console (issue 15) lists every order by appointment or newest first,
-- often within one status tab: these keep each page a short index walk instead of a sort of the
-- whole table, and the per-status counts an index-only scan.
CREATE INDEX orders_appointment ON orders (appointment_at, id);
CREATE INDEX orders_status_appointment ON orders (status, appointment_at, id);
CREATE INDEX orders_status_id ON orders (status, id);

-- A notification's title and body in the language it was not rendered in (issue 15 item 11): the
-- message center shows each entry in the reader's current language, so switching to English
-- turns older notices English too. Rows from before have none and stay as they were written.
ALTER TABLE notifications ADD COLUMN alt_locale TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN alt_title TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN alt_body TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE notifications DROP COLUMN alt_body;
ALTER TABLE notifications DROP COLUMN alt_title;
ALTER TABLE notifications DROP COLUMN alt_locale;
DROP INDEX orders_status_id;
DROP INDEX orders_status_appointment;
DROP INDEX orders_appointment;
