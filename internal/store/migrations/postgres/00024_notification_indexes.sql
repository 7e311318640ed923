-- +goose Up
-- Fewer B-trees written per notification (#16: a bulk cancellation writes thousands at once).
-- notifications_recipient_order (recipient_id, order_id, created_at DESC, id DESC) served only the
-- message center's order filter (Inbox with OrderID); notifications_order (order_id, created_at)
-- finds the same rows (an order's notifications, to everyone, are a handful) and the page sorts
-- them. EXPLAIN checks: inbox_bench_test.go (SQLite), docs/benchmarks.md.
DROP INDEX notifications_recipient_order;

-- +goose Down
CREATE INDEX notifications_recipient_order ON notifications (recipient_id, order_id, created_at DESC, id DESC) WHERE order_id IS NOT NULL;
