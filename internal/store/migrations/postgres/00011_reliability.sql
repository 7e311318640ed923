-- +goose Up
-- Idempotency-Key records are written inside the action's own transaction (so a key exists
-- exactly when its action committed); ref names what the request created, so a retry whose
-- recorded answer was lost in a crash can be answered from current state.
ALTER TABLE idempotency_keys ADD COLUMN ref TEXT NOT NULL DEFAULT '';

-- The node life (process start) that holds a running job's claim: a restarted node recovers the
-- claims of its previous life at once instead of waiting for their lease to run out.
ALTER TABLE jobs ADD COLUMN locked_by TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE jobs DROP COLUMN locked_by;
ALTER TABLE idempotency_keys DROP COLUMN ref;
