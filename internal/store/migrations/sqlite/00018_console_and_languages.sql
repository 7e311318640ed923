-- +goose Up
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
