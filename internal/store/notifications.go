package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/homebell/homebell/internal/model"
)

// importanceRank orders importance for sorting (critical first).
var importanceRank = map[string]int{"low": 0, "normal": 1, "high": 2, "critical": 3}

// ImportanceName is the inverse of importanceRank.
// ImportanceName is the importance of a stored rank.
func ImportanceName(r int) string { return importanceName(r) }

func importanceName(r int) string {
	for k, v := range importanceRank {
		if v == r {
			return k
		}
	}
	return "normal"
}

const notificationCols = `id, recipient_id, kind, category, importance, title, body, data, order_id, event_key, alert, created_at,
	alt_locale, alt_title, alt_body, read_at`

func scanNotification(row interface{ Scan(...any) error }) (model.Notification, error) {
	var n model.Notification
	var rank int
	var data string
	var orderID sql.NullString
	var readAt sql.NullTime
	err := row.Scan(&n.ID, &n.RecipientID, &n.Kind, &n.Category, &rank, &n.Title, &n.Body, &data, &orderID,
		&n.EventKey, &n.Alert, &n.CreatedAt, &n.Alt.Locale, &n.Alt.Title, &n.Alt.Body, &readAt)
	n.Importance = importanceName(rank)
	n.Data = json.RawMessage(data)
	n.OrderID = orderID.String
	n.CreatedAt = n.CreatedAt.UTC()
	if readAt.Valid {
		t := readAt.Time.UTC()
		n.ReadAt = &t
	}
	return n, err
}

// InsertNotification stores n unless the same recipient already has one with n.EventKey;
// inserted is false for such a duplicate (the happening was told already).
func (q *Queries) InsertNotification(ctx context.Context, n *model.Notification) (inserted bool, err error) {
	if len(n.Data) == 0 {
		n.Data = json.RawMessage("{}")
	}
	n.CreatedAt = n.CreatedAt.UTC()
	var orderID any
	if n.OrderID != "" {
		orderID = n.OrderID
	}
	res, err := q.q.ExecContext(ctx, `INSERT INTO notifications (`+notificationCols+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,NULL) ON CONFLICT (recipient_id, event_key) DO NOTHING`,
		n.ID, n.RecipientID, n.Kind, n.Category, importanceRank[n.Importance], n.Title, n.Body, string(n.Data), orderID,
		n.EventKey, n.Alert, n.CreatedAt, n.Alt.Locale, n.Alt.Title, n.Alt.Body)
	if err != nil {
		return false, fmt.Errorf("store: insert notification: %w", err)
	}
	rows, _ := res.RowsAffected()
	return rows == 1, nil
}

// Notification returns one notification of a recipient.
func (q *Queries) Notification(ctx context.Context, recipientID, id string) (model.Notification, error) {
	n, err := scanNotification(q.q.QueryRowContext(ctx, `SELECT `+notificationCols+` FROM notifications
		WHERE id = $1 AND recipient_id = $2`, id, recipientID))
	if errors.Is(err, sql.ErrNoRows) {
		return n, notFound("notification", id)
	}
	if err != nil {
		return n, fmt.Errorf("store: notification: %w", err)
	}
	return n, nil
}

// NotificationByEventKey returns a recipient's notification with an event key (a running
// thread entry, whose id changes with every update).
func (q *Queries) NotificationByEventKey(ctx context.Context, recipientID, eventKey string) (model.Notification, error) {
	n, err := scanNotification(q.q.QueryRowContext(ctx, `SELECT `+notificationCols+` FROM notifications
		WHERE recipient_id = $1 AND event_key = $2`, recipientID, eventKey))
	if errors.Is(err, sql.ErrNoRows) {
		return n, notFound("notification", eventKey)
	}
	if err != nil {
		return n, fmt.Errorf("store: notification: %w", err)
	}
	return n, nil
}

// OrderNotifications lists every notification about an order, to anyone, oldest first (X4).
func (q *Queries) OrderNotifications(ctx context.Context, orderID string) ([]model.Notification, error) {
	return q.notifications(ctx, "order notifications", `SELECT `+notificationCols+` FROM notifications WHERE order_id = $1
		ORDER BY created_at, id`, orderID)
}

func (q *Queries) notifications(ctx context.Context, what, query string, args ...any) ([]model.Notification, error) {
	return queryAll(ctx, q.q, what, func(r rowScanner) (model.Notification, error) { return scanNotification(r) }, query, args...)
}

// RecentNotifications lists a person's newest notifications (a minimal message center; the full
// query with cursors, sorting and filters is Inbox).
func (q *Queries) RecentNotifications(ctx context.Context, recipientID string, limit int) ([]model.Notification, error) {
	return q.notifications(ctx, "recent notifications", `SELECT `+notificationCols+` FROM notifications WHERE recipient_id = $1
		ORDER BY created_at DESC, id DESC LIMIT $2`, recipientID, limit)
}

// CountNotifications counts a person's notifications (tests and metrics).
func (q *Queries) CountNotifications(ctx context.Context, recipientID string) (int, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE recipient_id = $1`, recipientID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count notifications: %w", err)
	}
	return n, nil
}

// Preferences reads a person's stored preferences JSON into v; found is false if they never set any.
func (q *Queries) Preferences(ctx context.Context, personID string, v any) (found bool, err error) {
	var m map[string]cached[rawRow]
	if q.rc != nil {
		m = q.rc.prefs
	}
	row, err := cachedRead(q, m, personID, func() (rawRow, error) {
		var r rawRow
		err := q.q.QueryRowContext(ctx, `SELECT prefs FROM preferences WHERE person_id = $1`, personID).Scan(&r.raw)
		if errors.Is(err, sql.ErrNoRows) {
			return r, nil
		}
		r.found = err == nil
		return r, err
	})
	if err != nil {
		return false, fmt.Errorf("store: preferences: %w", err)
	}
	if !row.found {
		return false, nil
	}
	if err := json.Unmarshal([]byte(row.raw), v); err != nil {
		return false, fmt.Errorf("store: preferences: %w", err)
	}
	return true, nil
}

// PutPreferences stores a person's preferences.
func (q *Queries) PutPreferences(ctx context.Context, personID string, v any, now time.Time) error {
	raw, err := model.MarshalJSON(v)
	if err != nil {
		return fmt.Errorf("store: preferences: %w", err)
	}
	q.forget(func() { cacheDrop(q.rc, q.rc.prefs, personID) })
	_, err = q.q.ExecContext(ctx, `INSERT INTO preferences (person_id, prefs, updated_at) VALUES ($1,$2,$3)
		ON CONFLICT (person_id) DO UPDATE SET prefs = excluded.prefs, updated_at = excluded.updated_at`,
		personID, string(raw), utc(now))
	if err != nil {
		return fmt.Errorf("store: put preferences: %w", err)
	}
	return nil
}

// normalizeThreadNotification gives n its stored form (empty data as {}, the time in UTC to the
// microsecond) and returns its order id as an argument (NULL when it has none).
func normalizeThreadNotification(n *model.Notification) any {
	if len(n.Data) == 0 {
		n.Data = json.RawMessage("{}")
	}
	n.CreatedAt = utc(n.CreatedAt)
	if n.OrderID == "" {
		return nil
	}
	return n.OrderID
}

// UpsertThreadNotification stores n as the one running message-center entry of its recipient and
// event key (a conversation, S4): an existing row takes n's id, title, body, data, alert,
// importance and time, and is unread again, so it moves to the top of both sorts. A new id on
// every update gives each round of off-app delivery its own delivery-log rows.
//
// sameCounts reports that the row was unread already in the same category, so the recipient's
// unread counts are what they were (a second message in a conversation nobody opened yet): that
// case is one UPDATE; a new, read or recategorised row takes a second statement.
func (q *Queries) UpsertThreadNotification(ctx context.Context, n *model.Notification) (sameCounts bool, err error) {
	orderID := normalizeThreadNotification(n)
	res, err := q.q.ExecContext(ctx, `UPDATE notifications SET id = $3, kind = $4, importance = $5, title = $6, body = $7,
		data = $8, alert = $9, created_at = $10, alt_locale = $11, alt_title = $12, alt_body = $13
		WHERE recipient_id = $1 AND event_key = $2 AND read_at IS NULL AND category = $14`,
		n.RecipientID, n.EventKey, n.ID, n.Kind, importanceRank[n.Importance], n.Title, n.Body, string(n.Data), n.Alert,
		n.CreatedAt, n.Alt.Locale, n.Alt.Title, n.Alt.Body, n.Category)
	if err != nil {
		return false, fmt.Errorf("store: renew thread notification: %w", err)
	}
	if k, _ := res.RowsAffected(); k > 0 {
		return true, nil
	}
	_, err = q.q.ExecContext(ctx, `INSERT INTO notifications (`+notificationCols+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,NULL) ON CONFLICT (recipient_id, event_key) DO UPDATE SET
		id = excluded.id, kind = excluded.kind, category = excluded.category, importance = excluded.importance,
		title = excluded.title, body = excluded.body, data = excluded.data, alert = excluded.alert,
		created_at = excluded.created_at, alt_locale = excluded.alt_locale, alt_title = excluded.alt_title,
		alt_body = excluded.alt_body, read_at = NULL`,
		n.ID, n.RecipientID, n.Kind, n.Category, importanceRank[n.Importance], n.Title, n.Body, string(n.Data), orderID,
		n.EventKey, n.Alert, n.CreatedAt, n.Alt.Locale, n.Alt.Title, n.Alt.Body)
	if err != nil {
		return false, fmt.Errorf("store: upsert thread notification: %w", err)
	}
	return false, nil
}

// UpsertThreadNotificationLater is UpsertThreadNotification whose *sameCounts is set by the
// transaction's commit at the latest: on PostgreSQL the write is deferred (deferred.go) to go with
// the transaction's next statement, the update and the insert in one; elsewhere it runs now.
func (q *Queries) UpsertThreadNotificationLater(ctx context.Context, n *model.Notification, sameCounts *bool) error {
	if !q.deferring() {
		same, err := q.UpsertThreadNotification(ctx, n)
		*sameCounts = same
		return err
	}
	orderID := normalizeThreadNotification(n)
	v := *n
	return q.deferWrite(ctx, deferredWrite{key: "notification " + n.RecipientID + " " + n.EventKey,
		build: func(a *argList, name string) (string, string) {
			rcpt, key, id, kind, imp := a.p(v.RecipientID), a.p(v.EventKey), a.p(v.ID), a.p(v.Kind), a.p(importanceRank[v.Importance])
			title, body, data, alert, at := a.p(v.Title), a.p(v.Body), a.p(string(v.Data)), a.p(v.Alert), a.p(v.CreatedAt)
			altLocale, altTitle, altBody, cat := a.p(v.Alt.Locale), a.p(v.Alt.Title), a.p(v.Alt.Body), a.p(v.Category)
			// The insert takes the update's parameters, typed by its SET; it runs only when the
			// update found no unread row (both read the table as it was).
			return name + `u AS (UPDATE notifications SET id = ` + id + `, kind = ` + kind + `, importance = ` + imp +
					`, title = ` + title + `, body = ` + body + `, data = ` + data + `, alert = ` + alert + `, created_at = ` + at +
					`, alt_locale = ` + altLocale + `, alt_title = ` + altTitle + `, alt_body = ` + altBody +
					` WHERE recipient_id = ` + rcpt + ` AND event_key = ` + key + ` AND read_at IS NULL AND category = ` + cat +
					` RETURNING 1), ` +
					name + `i AS (INSERT INTO notifications (` + notificationCols + `) SELECT ` + id + `, ` + rcpt + `, ` + kind +
					`, ` + cat + `, ` + imp + `, ` + title + `, ` + body + `, ` + data + `, CAST(` + a.p(orderID) + ` AS TEXT), ` + key +
					`, ` + alert + `, ` + at + `, ` + altLocale + `, ` + altTitle + `, ` + altBody + `, NULL
					WHERE NOT EXISTS (SELECT 1 FROM ` + name + `u) ON CONFLICT (recipient_id, event_key) DO UPDATE SET
					id = excluded.id, kind = excluded.kind, category = excluded.category, importance = excluded.importance,
					title = excluded.title, body = excluded.body, data = excluded.data, alert = excluded.alert,
					created_at = excluded.created_at, alt_locale = excluded.alt_locale, alt_title = excluded.alt_title,
					alt_body = excluded.alt_body, read_at = NULL RETURNING 1)`,
				`SELECT (SELECT count(*) FROM ` + name + `u) + 0 * (SELECT count(*) FROM ` + name + `i)`
		},
		done: func(r sql.NullString) error {
			*sameCounts = r.String != "" && r.String != "0"
			return nil
		}})
}

// MarkThreadRead marks a person's running entry with eventKey read; id is its id, "" when it was
// read already or does not exist.
func (q *Queries) MarkThreadRead(ctx context.Context, recipientID, eventKey string, now time.Time) (id string, err error) {
	err = q.q.QueryRowContext(ctx, `UPDATE notifications SET read_at = $3 WHERE recipient_id = $1 AND event_key = $2
		AND read_at IS NULL RETURNING id`, recipientID, eventKey, utc(now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: mark thread read: %w", err)
	}
	return id, nil
}

// The purges (here, in events.go, jobs.go and idempotency.go) delete at most limit rows per call,
// so a caller can run each batch in a transaction of its own and keep SQLite's one writer free for
// users between batches. DELETE … LIMIT is not portable; deleting by the keys of a limited
// sub-select is.

// PurgeNotifications deletes up to limit notifications of category created before before (S5).
func (q *Queries) PurgeNotifications(ctx context.Context, category string, before time.Time, limit int) (int64, error) {
	res, err := q.q.ExecContext(ctx, `DELETE FROM notifications WHERE id IN (SELECT id FROM notifications
		WHERE category = $1 AND created_at < $2 LIMIT $3)`, category, utc(before), limit)
	if err != nil {
		return 0, fmt.Errorf("store: purge %s notifications: %w", category, err)
	}
	return res.RowsAffected()
}
