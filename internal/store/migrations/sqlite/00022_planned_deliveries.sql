-- +goose Up
-- A delivery held for the recipient's receiving window (S2) is in the log from the moment the
-- notice is made: state queued, next_attempt_at = the planned time, planned = TRUE (no send job
-- yet). When the window opens, the delivery job claims the row (planned = FALSE) and schedules its
-- send, or marks it skipped when its target is gone; it never inserts a second row for it.
ALTER TABLE deliveries ADD COLUMN planned BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE deliveries DROP COLUMN planned;
