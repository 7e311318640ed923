package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/homebell/homebell/internal/model"
)

const watcherCols = `id, customer_id, person_id, order_id, phone, can_chat, can_answer_changes, status, created_at, updated_at`

func scanWatcher(row interface{ Scan(...any) error }) (model.Watcher, error) {
	var w model.Watcher
	err := row.Scan(&w.ID, &w.CustomerID, &w.PersonID, &w.OrderID, &w.Phone, &w.CanChat, &w.CanAnswerChanges, &w.Status,
		&w.CreatedAt, &w.UpdatedAt)
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.UTC(), w.UpdatedAt.UTC()
	return w, err
}

func (q *Queries) watchers(ctx context.Context, what, query string, args ...any) ([]model.Watcher, error) {
	return queryAll(ctx, q.q, what, func(r rowScanner) (model.Watcher, error) { return scanWatcher(r) }, query, args...)
}

// InsertWatcher stores a new watcher (or invite). A second row for the same customer, person and
// scope is a conflict.
func (q *Queries) InsertWatcher(ctx context.Context, w *model.Watcher, now time.Time) error {
	if w.ID == "" {
		w.ID = model.NewID()
	}
	w.CreatedAt, w.UpdatedAt = utc(now), utc(now)
	q.forgetWatchers()
	_, err := q.q.ExecContext(ctx, `INSERT INTO household_watchers (`+watcherCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
		w.ID, w.CustomerID, w.PersonID, w.OrderID, w.Phone, w.CanChat, w.CanAnswerChanges, w.Status, w.CreatedAt, w.UpdatedAt)
	if isUniqueViolation(err) {
		return model.Errorf(model.CodeConflict, "this person already watches these orders")
	}
	if err != nil {
		return fmt.Errorf("store: insert watcher: %w", err)
	}
	return nil
}

// Watcher returns one watcher or invite.
func (q *Queries) Watcher(ctx context.Context, id string) (model.Watcher, error) {
	w, err := scanWatcher(q.q.QueryRowContext(ctx, `SELECT `+watcherCols+` FROM household_watchers WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return w, notFound("watcher", id)
	}
	if err != nil {
		return w, fmt.Errorf("store: watcher %s: %w", id, err)
	}
	return w, nil
}

// UpdateWatcher writes a watcher's person, rights and status.
func (q *Queries) UpdateWatcher(ctx context.Context, w *model.Watcher, now time.Time) error {
	w.UpdatedAt = utc(now)
	q.forgetWatchers()
	res, err := q.q.ExecContext(ctx, `UPDATE household_watchers SET person_id = $2, can_chat = $3, can_answer_changes = $4,
		status = $5, updated_at = $6 WHERE id = $1`, w.ID, w.PersonID, w.CanChat, w.CanAnswerChanges, w.Status, w.UpdatedAt)
	if isUniqueViolation(err) {
		return model.Errorf(model.CodeConflict, "this person already watches these orders")
	}
	if err != nil {
		return fmt.Errorf("store: update watcher %s: %w", w.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return notFound("watcher", w.ID)
	}
	return nil
}

// DeleteWatcher removes a watcher; removed is false when it was gone already.
func (q *Queries) DeleteWatcher(ctx context.Context, id string) (removed bool, err error) {
	q.forgetWatchers()
	res, err := q.q.ExecContext(ctx, `DELETE FROM household_watchers WHERE id = $1`, id)
	if err != nil {
		return false, fmt.Errorf("store: delete watcher %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// WatchersOfCustomer lists a customer's watchers and invites, oldest first.
func (q *Queries) WatchersOfCustomer(ctx context.Context, customerID string) ([]model.Watcher, error) {
	return q.watchers(ctx, "watchers of customer", `SELECT `+watcherCols+` FROM household_watchers
		WHERE customer_id = $1 ORDER BY created_at, id`, customerID)
}

// WatchersOfOrder lists the active watchers of an order: those of the order and those of all the
// customer's orders; the person_id condition lets the partial index household_watchers_scope serve it.
// Every telling of an order's customer asks for them, so a customer's active watchers are read
// through the read cache and filtered here.
func (q *Queries) WatchersOfOrder(ctx context.Context, o model.Order) ([]model.Watcher, error) {
	var m map[string]cached[[]model.Watcher]
	if q.rc != nil {
		m = q.rc.watchers
	}
	all, err := cachedRead(q, m, o.CustomerID, func() ([]model.Watcher, error) {
		return q.watchers(ctx, "watchers of order", `SELECT `+watcherCols+` FROM household_watchers
			WHERE customer_id = $1 AND person_id <> '' AND status = 'active' ORDER BY created_at, id`, o.CustomerID)
	})
	if err != nil {
		return nil, err
	}
	var out []model.Watcher
	for _, w := range all {
		if w.OrderID == "" || w.OrderID == o.ID {
			out = append(out, w)
		}
	}
	return out, nil
}

// forgetWatchers drops the cached watchers of every customer (see forget): a household changed.
func (q *Queries) forgetWatchers() { q.forget(func() { cacheClear(q.rc, q.rc.watchers) }) }

// WatchesOf lists the active rows by which a person watches the orders of a customer.
func (q *Queries) WatchesOf(ctx context.Context, personID, customerID string) ([]model.Watcher, error) {
	return q.watchers(ctx, "watches", `SELECT `+watcherCols+` FROM household_watchers
		WHERE person_id = $1 AND customer_id = $2 AND status = 'active' ORDER BY created_at, id`, personID, customerID)
}

// PendingInvites lists invites waiting for the platform, oldest first.
func (q *Queries) PendingInvites(ctx context.Context, limit int) ([]model.Watcher, error) {
	return q.watchers(ctx, "pending invites", `SELECT `+watcherCols+` FROM household_watchers
		WHERE status = 'invited' ORDER BY created_at, id LIMIT $1`, limit)
}

// WatchedOrders lists the orders a person watches, newest first (by id), after the cursor id.
func (q *Queries) WatchedOrders(ctx context.Context, personID, after string, limit int) ([]model.Order, error) {
	return queryAll(ctx, q.q, "watched orders", func(r rowScanner) (model.Order, error) { return scanOrder(r) },
		`SELECT `+orderCols+` FROM orders WHERE EXISTS (SELECT 1 FROM household_watchers h
		WHERE h.person_id = $1 AND h.status = 'active' AND h.customer_id = orders.customer_id
		AND (h.order_id = '' OR h.order_id = orders.id)) AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3`,
		personID, after, limit)
}
