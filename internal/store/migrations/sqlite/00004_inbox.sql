-- +goose Up
-- Message-center filters (S4) read an index in page order and stop after a page, like the two
-- sorts do with notifications_by_time and notifications_by_importance. A kind filter uses the
-- category index too (the API adds the kind's category). EXPLAIN QUERY PLAN checks: inbox_bench_test.go.
CREATE INDEX notifications_unread_time ON notifications (recipient_id, created_at DESC, id DESC) WHERE read_at IS NULL;
CREATE INDEX notifications_category_time ON notifications (recipient_id, category, created_at DESC, id DESC);
-- One person's notifications about one order (notifications_order serves the order's whole trail, X4).
CREATE INDEX notifications_recipient_order ON notifications (recipient_id, order_id, created_at DESC, id DESC) WHERE order_id IS NOT NULL;

-- +goose Down
DROP INDEX notifications_recipient_order;
DROP INDEX notifications_category_time;
DROP INDEX notifications_unread_time;
