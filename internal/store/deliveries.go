package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/model"
)

const pushSubCols = `id, person_id, endpoint, p256dh, auth, created_at, updated_at`

func scanPushSub(row interface{ Scan(...any) error }) (model.PushSubscription, error) {
	var s model.PushSubscription
	err := row.Scan(&s.ID, &s.PersonID, &s.Endpoint, &s.P256dh, &s.Auth, &s.CreatedAt, &s.UpdatedAt)
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	return s, err
}

// PutPushSubscription stores s, keyed by its endpoint: a browser that subscribes again (or for
// another person) replaces its row and keeps its id. s is updated to what is stored; created is
// false when the endpoint was known.
func (q *Queries) PutPushSubscription(ctx context.Context, s *model.PushSubscription, now time.Time) (created bool, err error) {
	if s.ID == "" {
		s.ID = model.NewID()
	}
	id := s.ID
	q.forgetPushSubs()
	row := q.q.QueryRowContext(ctx, `INSERT INTO push_subscriptions (`+pushSubCols+`) VALUES ($1,$2,$3,$4,$5,$6,$6)
		ON CONFLICT (endpoint) DO UPDATE SET person_id = excluded.person_id, p256dh = excluded.p256dh,
		auth = excluded.auth, updated_at = excluded.updated_at
		RETURNING `+pushSubCols, s.ID, s.PersonID, s.Endpoint, s.P256dh, s.Auth, utc(now))
	got, err := scanPushSub(row)
	if err != nil {
		return false, fmt.Errorf("store: put push subscription: %w", err)
	}
	*s = got
	return got.ID == id, nil
}

// PushSubscriptions lists a person's subscriptions, oldest first, through the read cache (every
// notice's delivery plan reads them). The slice is shared: do not modify it.
func (q *Queries) PushSubscriptions(ctx context.Context, personID string) ([]model.PushSubscription, error) {
	var m map[string]cached[[]model.PushSubscription]
	if q.rc != nil {
		m = q.rc.pushSubs
	}
	return cachedRead(q, m, personID, func() ([]model.PushSubscription, error) {
		return q.pushSubs(ctx, `person_id = $1`, personID)
	})
}

// forgetPushSubs drops every cached person's subscriptions: a write may move an endpoint from one
// person to another.
func (q *Queries) forgetPushSubs() { q.forget(func() { cacheClear(q.rc, q.rc.pushSubs) }) }

// forgetWebhooks drops the cached active endpoints.
func (q *Queries) forgetWebhooks() { q.forget(func() { cacheClear(q.rc, q.rc.webhooks) }) }

// pushSubs lists the push subscriptions that match where, oldest first.
func (q *Queries) pushSubs(ctx context.Context, where string, args ...any) ([]model.PushSubscription, error) {
	return queryAll(ctx, q.q, "push subscriptions", func(r rowScanner) (model.PushSubscription, error) { return scanPushSub(r) },
		`SELECT `+pushSubCols+` FROM push_subscriptions WHERE `+where+` ORDER BY created_at, id`, args...)
}

// pushSubsByPerson is pushSubs filed by person id.
func (q *Queries) pushSubsByPerson(ctx context.Context, where string, args ...any) (map[string][]model.PushSubscription, error) {
	subs, err := q.pushSubs(ctx, where, args...)
	if err != nil {
		return nil, err
	}
	return groupBy(subs, func(s model.PushSubscription) string { return s.PersonID }), nil
}

// PushSubscription returns one subscription by id.
func (q *Queries) PushSubscription(ctx context.Context, id string) (model.PushSubscription, error) {
	s, err := scanPushSub(q.q.QueryRowContext(ctx, `SELECT `+pushSubCols+` FROM push_subscriptions WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, notFound("push subscription", id)
	}
	if err != nil {
		return s, fmt.Errorf("store: push subscription: %w", err)
	}
	return s, nil
}

// DeletePushSubscription removes a subscription; personID, when not empty, must own it.
func (q *Queries) DeletePushSubscription(ctx context.Context, personID, id string) error {
	query, args := `DELETE FROM push_subscriptions WHERE id = $1`, []any{id}
	if personID != "" {
		query, args = query+` AND person_id = $2`, append(args, personID)
	}
	q.forgetPushSubs()
	res, err := q.q.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("store: delete push subscription: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("push subscription", id)
	}
	return nil
}

const webhookCols = `id, url, secret, kinds, description, active, failed_deliveries, last_success_at, paused_at, created_at, updated_at`

func scanWebhook(row interface{ Scan(...any) error }) (model.WebhookEndpoint, error) {
	var e model.WebhookEndpoint
	var kinds string
	var success, paused sql.NullTime
	err := row.Scan(&e.ID, &e.URL, &e.Secret, &kinds, &e.Description, &e.Active, &e.FailedDeliveries, &success, &paused,
		&e.CreatedAt, &e.UpdatedAt)
	if err != nil {
		return e, err
	}
	e.Kinds = []string{}
	if err := json.Unmarshal([]byte(kinds), &e.Kinds); err != nil {
		return e, fmt.Errorf("kinds: %w", err)
	}
	e.LastSuccessAt, e.PausedAt = timePtr(success), timePtr(paused)
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return e, nil
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

func kindsJSON(kinds []string) string {
	if kinds == nil {
		kinds = []string{}
	}
	b, _ := json.Marshal(kinds)
	return string(b)
}

// InsertWebhookEndpoint stores a new endpoint (ID made when empty).
func (q *Queries) InsertWebhookEndpoint(ctx context.Context, e *model.WebhookEndpoint, now time.Time) error {
	if e.ID == "" {
		e.ID = model.NewID()
	}
	if e.Kinds == nil {
		e.Kinds = []string{}
	}
	e.CreatedAt, e.UpdatedAt = utc(now), utc(now)
	q.forgetWebhooks()
	_, err := q.q.ExecContext(ctx, `INSERT INTO webhook_endpoints (`+webhookCols+`)
		VALUES ($1,$2,$3,$4,$5,$6,0,NULL,NULL,$7,$7)`, e.ID, e.URL, e.Secret, kindsJSON(e.Kinds), e.Description, e.Active, e.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: insert webhook endpoint: %w", err)
	}
	return nil
}

// WebhookEndpoint returns one endpoint.
func (q *Queries) WebhookEndpoint(ctx context.Context, id string) (model.WebhookEndpoint, error) {
	e, err := scanWebhook(q.q.QueryRowContext(ctx, `SELECT `+webhookCols+` FROM webhook_endpoints WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, notFound("webhook endpoint", id)
	}
	if err != nil {
		return e, fmt.Errorf("store: webhook endpoint: %w", err)
	}
	return e, nil
}

// WebhookEndpoints lists every endpoint (activeOnly: the ones receiving), oldest first. The
// active list is what every notice's delivery plan reads: it comes through the read cache, shared
// (do not modify it), and its delivery counters may be up to the cache's TTL old — a delivery's
// success or failure does not drop it; whatever changes whether an endpoint receives does.
func (q *Queries) WebhookEndpoints(ctx context.Context, activeOnly bool) ([]model.WebhookEndpoint, error) {
	if !activeOnly {
		return q.webhookEndpoints(ctx, `SELECT `+webhookCols+` FROM webhook_endpoints`)
	}
	var m map[string]cached[[]model.WebhookEndpoint]
	if q.rc != nil {
		m = q.rc.webhooks
	}
	return cachedRead(q, m, "", func() ([]model.WebhookEndpoint, error) {
		return q.webhookEndpoints(ctx, `SELECT `+webhookCols+` FROM webhook_endpoints WHERE active = TRUE`)
	})
}

func (q *Queries) webhookEndpoints(ctx context.Context, query string) ([]model.WebhookEndpoint, error) {
	return queryAll(ctx, q.q, "webhook endpoints", func(r rowScanner) (model.WebhookEndpoint, error) { return scanWebhook(r) },
		query+` ORDER BY created_at, id`)
}

// UpdateWebhookEndpoint stores e's url, kinds, description and active flag. Re-activating an
// endpoint clears its pause and failure count.
func (q *Queries) UpdateWebhookEndpoint(ctx context.Context, e *model.WebhookEndpoint, now time.Time) error {
	e.UpdatedAt = utc(now)
	if e.Active {
		e.PausedAt, e.FailedDeliveries = nil, 0
	}
	var paused any
	if e.PausedAt != nil {
		paused = utc(*e.PausedAt)
	}
	q.forgetWebhooks()
	res, err := q.q.ExecContext(ctx, `UPDATE webhook_endpoints SET url = $2, kinds = $3, description = $4, active = $5,
		paused_at = $6, failed_deliveries = $7, updated_at = $8 WHERE id = $1`,
		e.ID, e.URL, kindsJSON(e.Kinds), e.Description, e.Active, paused, e.FailedDeliveries, e.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: update webhook endpoint: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("webhook endpoint", e.ID)
	}
	return nil
}

// DeleteWebhookEndpoint removes an endpoint.
func (q *Queries) DeleteWebhookEndpoint(ctx context.Context, id string) error {
	q.forgetWebhooks()
	res, err := q.q.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete webhook endpoint: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("webhook endpoint", id)
	}
	return nil
}

// WebhookSucceeded records an accepted delivery: the failure count starts again.
func (q *Queries) WebhookSucceeded(ctx context.Context, id string, now time.Time) error {
	_, err := q.q.ExecContext(ctx, `UPDATE webhook_endpoints SET failed_deliveries = 0, last_success_at = $2
		WHERE id = $1`, id, utc(now))
	if err != nil {
		return fmt.Errorf("store: webhook success: %w", err)
	}
	return nil
}

// WebhookDeliveryFailed counts a delivery that ended failed and returns the endpoint as it now is.
func (q *Queries) WebhookDeliveryFailed(ctx context.Context, id string) (model.WebhookEndpoint, error) {
	if _, err := q.q.ExecContext(ctx, `UPDATE webhook_endpoints SET failed_deliveries = failed_deliveries + 1
		WHERE id = $1`, id); err != nil {
		return model.WebhookEndpoint{}, fmt.Errorf("store: webhook failure: %w", err)
	}
	return q.WebhookEndpoint(ctx, id)
}

// PauseWebhookEndpoint deactivates an endpoint; paused is false when it was not active.
func (q *Queries) PauseWebhookEndpoint(ctx context.Context, id string, now time.Time) (paused bool, err error) {
	q.forgetWebhooks()
	res, err := q.q.ExecContext(ctx, `UPDATE webhook_endpoints SET active = FALSE, paused_at = $2, updated_at = $2
		WHERE id = $1 AND active = TRUE`, id, utc(now))
	if err != nil {
		return false, fmt.Errorf("store: pause webhook endpoint: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

const deliveryCols = `id, notification_id, recipient_id, order_id, kind, channel, target, state, attempts, last_status,
	last_error, next_attempt_at, created_at, updated_at, detail, step, receipt, receipt_at, planned`

func scanDelivery(row interface{ Scan(...any) error }) (model.Delivery, error) {
	var d model.Delivery
	var orderID sql.NullString
	var next, receiptAt sql.NullTime
	var detail string
	err := row.Scan(&d.ID, &d.NotificationID, &d.RecipientID, &orderID, &d.Kind, &d.Channel, &d.Target, &d.State,
		&d.Attempts, &d.LastStatus, &d.LastError, &next, &d.CreatedAt, &d.UpdatedAt, &detail, &d.Step, &d.Receipt, &receiptAt, &d.Planned)
	d.OrderID, d.NextAttemptAt, d.ReceiptAt = orderID.String, timePtr(next), timePtr(receiptAt)
	if detail != "" {
		d.Detail = json.RawMessage(detail)
	}
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return d, err
}

// InsertDelivery adds d to the delivery log unless the same notification already has a delivery
// to the same target at the same step (a delivery job that ran twice); inserted reports which.
// A planned row there (held for the receiving window, S2) is not a second delivery but this one:
// it is claimed — it takes d's state, next attempt, error and detail and is no longer planned —,
// inserted is true and d takes its id, so the log keeps one row per delivery.
func (q *Queries) InsertDelivery(ctx context.Context, d *model.Delivery, now time.Time) (inserted bool, err error) {
	if d.ID == "" {
		d.ID = model.NewID()
	}
	if d.State == "" {
		d.State = model.DeliveryQueued
	}
	d.CreatedAt, d.UpdatedAt = utc(now), utc(now)
	var orderID any
	if d.OrderID != "" {
		orderID = d.OrderID
	}
	err = q.q.QueryRowContext(ctx, `INSERT INTO deliveries (`+deliveryCols+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$13,$14,$15,'',NULL,$16)
		ON CONFLICT (notification_id, channel, target, step) DO UPDATE SET state = excluded.state,
		last_error = excluded.last_error, next_attempt_at = excluded.next_attempt_at, detail = excluded.detail,
		updated_at = excluded.updated_at, planned = excluded.planned
		WHERE deliveries.planned AND NOT excluded.planned
		RETURNING id`,
		d.ID, d.NotificationID, d.RecipientID, orderID, d.Kind, d.Channel, d.Target, d.State, d.Attempts, d.LastStatus,
		d.LastError, nullPtrTime(d.NextAttemptAt), d.CreatedAt, string(d.Detail), d.Step, d.Planned).Scan(&d.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: insert delivery: %w", err)
	}
	return true, nil
}

// DropPlannedDeliveries removes the planned deliveries of a notification (S2): the plan changed
// (WeChat carries the notice; should it fall back, the other channels get rows of their own).
func (q *Queries) DropPlannedDeliveries(ctx context.Context, notificationID string) error {
	if _, err := q.q.ExecContext(ctx, `DELETE FROM deliveries WHERE notification_id = $1 AND planned`, notificationID); err != nil {
		return fmt.Errorf("store: drop planned deliveries: %w", err)
	}
	return nil
}

// SkipPlannedDeliveries ends, as skipped with reason, the planned deliveries of a notification
// that the delivery job did not claim when the receiving window opened (their subscription or
// endpoint is gone, the notice went by WeChat, or it was removed); it returns how many.
func (q *Queries) SkipPlannedDeliveries(ctx context.Context, notificationID, reason string, now time.Time) (int, error) {
	res, err := q.q.ExecContext(ctx, `UPDATE deliveries SET state = $2, last_error = $3, next_attempt_at = NULL,
		planned = FALSE, updated_at = $4 WHERE notification_id = $1 AND planned`, notificationID, model.DeliverySkipped, reason, utc(now))
	if err != nil {
		return 0, fmt.Errorf("store: skip planned deliveries: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func nullPtrTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return utc(*t)
}

// Delivery returns one delivery.
func (q *Queries) Delivery(ctx context.Context, id string) (model.Delivery, error) {
	d, err := scanDelivery(q.q.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, notFound("delivery", id)
	}
	if err != nil {
		return d, fmt.Errorf("store: delivery: %w", err)
	}
	return d, nil
}

// UpdateDelivery stores the outcome fields of d (state, attempts, last status and error, next attempt).
func (q *Queries) UpdateDelivery(ctx context.Context, d *model.Delivery, now time.Time) error {
	d.UpdatedAt = utc(now)
	_, err := q.q.ExecContext(ctx, `UPDATE deliveries SET state = $2, attempts = $3, last_status = $4, last_error = $5,
		next_attempt_at = $6, updated_at = $7, detail = $8 WHERE id = $1`,
		d.ID, d.State, d.Attempts, d.LastStatus, d.LastError, nullPtrTime(d.NextAttemptAt), d.UpdatedAt, string(d.Detail))
	if err != nil {
		return fmt.Errorf("store: update delivery: %w", err)
	}
	return nil
}

// DeliveryFilter selects deliveries; empty fields match everything.
type DeliveryFilter struct {
	NotificationID string
	OrderID        string
	State          string
	Before         string // id cursor: only deliveries with a smaller id (ids are time-ordered)
	Limit          int
}

// Deliveries lists the delivery log, newest first.
func (q *Queries) Deliveries(ctx context.Context, f DeliveryFilter) ([]model.Delivery, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.Replace(cond, "?", "$"+strconv.Itoa(len(args)), 1))
	}
	if f.NotificationID != "" {
		add("notification_id = ?", f.NotificationID)
	}
	if f.OrderID != "" {
		add("order_id = ?", f.OrderID)
	}
	if f.State != "" {
		add("state = ?", f.State)
	}
	if f.Before != "" {
		add("id < ?", f.Before)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	query := `SELECT ` + deliveryCols + ` FROM deliveries`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	query += ` ORDER BY id DESC LIMIT $` + strconv.Itoa(len(args))
	return q.collectDeliveries(ctx, query, args...)
}

// DeliveriesForOrder lists every off-app delivery about an order, oldest first (X4: the order
// timeline shows what was sent to whom, when and on which channel).
func (q *Queries) DeliveriesForOrder(ctx context.Context, orderID string) ([]model.Delivery, error) {
	return q.collectDeliveries(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE order_id = $1
		ORDER BY created_at, id`, orderID)
}

func (q *Queries) collectDeliveries(ctx context.Context, query string, args ...any) ([]model.Delivery, error) {
	return queryAll(ctx, q.q, "deliveries", func(r rowScanner) (model.Delivery, error) { return scanDelivery(r) }, query, args...)
}

// PausedWebhookEndpoints counts the webhook endpoints paused now.
func (q *Queries) PausedWebhookEndpoints(ctx context.Context) (int, error) {
	var n int
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_endpoints WHERE NOT active`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: paused webhook endpoints: %w", err)
	}
	return n, nil
}
