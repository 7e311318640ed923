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

// Notices that must land (Y1): chains, their trail, SOS alerts; action tokens (Y2).

const chainCols = `notification_id, recipient_id, order_id, kind, steps, next_step, state, ack_required, urgent,
	escalation, interval_s, deadline_at, until_at, next_at, acked_at, created_at, updated_at`

func scanChain(row interface{ Scan(...any) error }) (model.NoticeChain, error) {
	var c model.NoticeChain
	var orderID sql.NullString
	var steps string
	var until, next, acked sql.NullTime
	err := row.Scan(&c.NotificationID, &c.RecipientID, &orderID, &c.Kind, &steps, &c.NextStep, &c.State, &c.AckRequired,
		&c.Urgent, &c.Escalation, &c.Interval, &c.DeadlineAt, &until, &next, &acked, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(steps), &c.Steps); err != nil {
		return c, fmt.Errorf("store: chain steps: %w", err)
	}
	c.OrderID, c.UntilAt, c.NextAt, c.AckedAt = orderID.String, timePtr(until), timePtr(next), timePtr(acked)
	c.DeadlineAt, c.CreatedAt, c.UpdatedAt = c.DeadlineAt.UTC(), c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

// InsertNoticeChain stores a new chain; inserted is false when the notice has one already.
func (q *Queries) InsertNoticeChain(ctx context.Context, c *model.NoticeChain, now time.Time) (inserted bool, err error) {
	steps, err := json.Marshal(c.Steps)
	if err != nil {
		return false, err
	}
	c.CreatedAt, c.UpdatedAt = utc(now), utc(now)
	res, err := q.q.ExecContext(ctx, `INSERT INTO notice_chains (`+chainCols+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$16) ON CONFLICT (notification_id) DO NOTHING`,
		c.NotificationID, c.RecipientID, nullString(c.OrderID), c.Kind, string(steps), c.NextStep, c.State, c.AckRequired,
		c.Urgent, c.Escalation, c.Interval, utc(c.DeadlineAt), nullPtrTime(c.UntilAt), nullPtrTime(c.NextAt),
		nullPtrTime(c.AckedAt), c.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("store: insert notice chain: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// NoticeChain returns the chain of a notice; in a transaction on PostgreSQL the row is locked,
// so two runs of one step (a crashed node's and its successor's) take turns.
func (q *Queries) NoticeChain(ctx context.Context, notificationID string) (model.NoticeChain, error) {
	lock := ""
	if q.inTx && q.dialect == Postgres {
		lock = " FOR UPDATE"
	}
	c, err := scanChain(q.q.QueryRowContext(ctx, `SELECT `+chainCols+` FROM notice_chains WHERE notification_id = $1`+lock, notificationID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("notice chain", notificationID)
	}
	if err != nil {
		return c, fmt.Errorf("store: notice chain %s: %w", notificationID, err)
	}
	return c, nil
}

// UpdateNoticeChain writes a chain's progress.
func (q *Queries) UpdateNoticeChain(ctx context.Context, c *model.NoticeChain, now time.Time) error {
	c.UpdatedAt = utc(now)
	_, err := q.q.ExecContext(ctx, `UPDATE notice_chains SET next_step = $2, state = $3, next_at = $4, acked_at = $5,
		updated_at = $6 WHERE notification_id = $1`,
		c.NotificationID, c.NextStep, c.State, nullPtrTime(c.NextAt), nullPtrTime(c.AckedAt), c.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: update notice chain: %w", err)
	}
	return nil
}

func (q *Queries) collectChains(ctx context.Context, query string, args ...any) ([]model.NoticeChain, error) {
	return queryAll(ctx, q.q, "notice chains", func(r rowScanner) (model.NoticeChain, error) { return scanChain(r) }, query, args...)
}

// ReadActiveChains lists a person's active chains whose notice is now read and needs no
// acknowledgement: reading it stops them.
func (q *Queries) ReadActiveChains(ctx context.Context, recipientID string) ([]model.NoticeChain, error) {
	return q.collectChains(ctx, `SELECT `+chainColsOf("c")+` FROM notice_chains c JOIN notifications n ON n.id = c.notification_id
		WHERE c.recipient_id = $1 AND c.state = 'active' AND c.ack_required = FALSE AND n.read_at IS NOT NULL`, recipientID)
}

// ChainsOfOrder lists a person's chains about an order, oldest first.
func (q *Queries) ChainsOfOrder(ctx context.Context, recipientID, orderID string) ([]model.NoticeChain, error) {
	return q.collectChains(ctx, `SELECT `+chainCols+` FROM notice_chains WHERE recipient_id = $1 AND order_id = $2
		ORDER BY created_at, notification_id`, recipientID, orderID)
}

// ActiveChainsOfOrder lists every person's active chains about an order.
func (q *Queries) ActiveChainsOfOrder(ctx context.Context, orderID string) ([]model.NoticeChain, error) {
	return q.collectChains(ctx, `SELECT `+chainCols+` FROM notice_chains WHERE order_id = $1 AND state = 'active'
		ORDER BY created_at, notification_id`, orderID)
}

// OverdueChains lists active chains past their read-by deadline, the longest overdue first.
func (q *Queries) OverdueChains(ctx context.Context, now time.Time, limit int) ([]model.NoticeChain, error) {
	return q.collectChains(ctx, `SELECT `+chainCols+` FROM notice_chains WHERE state = 'active' AND deadline_at <= $1
		ORDER BY deadline_at, notification_id LIMIT $2`, utc(now), limit)
}

func chainColsOf(alias string) string {
	return alias + `.notification_id, ` + alias + `.recipient_id, ` + alias + `.order_id, ` + alias + `.kind, ` + alias + `.steps, ` +
		alias + `.next_step, ` + alias + `.state, ` + alias + `.ack_required, ` + alias + `.urgent, ` + alias + `.escalation, ` +
		alias + `.interval_s, ` + alias + `.deadline_at, ` + alias + `.until_at, ` + alias + `.next_at, ` + alias + `.acked_at, ` +
		alias + `.created_at, ` + alias + `.updated_at`
}

const stepCols = `id, notification_id, recipient_id, order_id, kind, step, event, detail, created_at`

// InsertNoticeStep records one line of a notice's trail.
func (q *Queries) InsertNoticeStep(ctx context.Context, s *model.NoticeStep) error {
	if s.ID == "" {
		s.ID = model.NewID()
	}
	s.CreatedAt = utc(s.CreatedAt)
	_, err := q.q.ExecContext(ctx, `INSERT INTO notice_trail (`+stepCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
		s.ID, s.NotificationID, s.RecipientID, nullString(s.OrderID), s.Kind, s.Step, s.Event, s.Detail, s.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: insert notice step: %w", err)
	}
	return nil
}

func (q *Queries) collectSteps(ctx context.Context, query string, args ...any) ([]model.NoticeStep, error) {
	return queryAll(ctx, q.q, "notice trail", func(r rowScanner) (model.NoticeStep, error) {
		var s model.NoticeStep
		var orderID sql.NullString
		if err := r.Scan(&s.ID, &s.NotificationID, &s.RecipientID, &orderID, &s.Kind, &s.Step, &s.Event, &s.Detail, &s.CreatedAt); err != nil {
			return s, err
		}
		s.OrderID, s.CreatedAt = orderID.String, s.CreatedAt.UTC()
		return s, nil
	}, query, args...)
}

// OrderNoticeSteps is the chain trail of every notice about an order, oldest first.
func (q *Queries) OrderNoticeSteps(ctx context.Context, orderID string) ([]model.NoticeStep, error) {
	return q.collectSteps(ctx, `SELECT `+stepCols+` FROM notice_trail WHERE order_id = $1 ORDER BY created_at, id`, orderID)
}

// NoticeSteps is the trail of one notice, oldest first.
func (q *Queries) NoticeSteps(ctx context.Context, notificationID string) ([]model.NoticeStep, error) {
	return q.collectSteps(ctx, `SELECT `+stepCols+` FROM notice_trail WHERE notification_id = $1 ORDER BY created_at, id`, notificationID)
}

// SetDeliveryReceipt records a gateway's receipt for a delivery (delivered, failed, read).
func (q *Queries) SetDeliveryReceipt(ctx context.Context, id, receipt string, now time.Time) error {
	res, err := q.q.ExecContext(ctx, `UPDATE deliveries SET receipt = $2, receipt_at = $3, updated_at = $3 WHERE id = $1`,
		id, receipt, utc(now))
	if err != nil {
		return fmt.Errorf("store: delivery receipt: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("delivery", id)
	}
	return nil
}

// SetNotificationData replaces a notice's client data (an acknowledgement is recorded in it).
func (q *Queries) SetNotificationData(ctx context.Context, recipientID, id string, data json.RawMessage) error {
	_, err := q.q.ExecContext(ctx, `UPDATE notifications SET data = $3 WHERE recipient_id = $1 AND id = $2`,
		recipientID, id, string(data))
	if err != nil {
		return fmt.Errorf("store: notification data: %w", err)
	}
	return nil
}

// InsertActionToken stores a new action token (by its hash).
func (q *Queries) InsertActionToken(ctx context.Context, t *model.ActionToken, now time.Time) error {
	t.CreatedAt = utc(now)
	_, err := q.q.ExecContext(ctx, `INSERT INTO action_tokens (id, notification_id, recipient_id, action, expires_at, created_at)
		VALUES ($1,$2,$3,$4,$5,$6)`, t.ID, t.NotificationID, t.RecipientID, t.Action, utc(t.ExpiresAt), t.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: insert action token: %w", err)
	}
	return nil
}

// UseActionToken spends the token with hash id: it returns the token as it was before, and used
// is false when it was spent already or has expired (then nothing changes).
func (q *Queries) UseActionToken(ctx context.Context, id string, now time.Time) (t model.ActionToken, used bool, err error) {
	var usedAt sql.NullTime
	err = q.q.QueryRowContext(ctx, `SELECT id, notification_id, recipient_id, action, expires_at, used_at, created_at
		FROM action_tokens WHERE id = $1`, id).Scan(&t.ID, &t.NotificationID, &t.RecipientID, &t.Action, &t.ExpiresAt, &usedAt, &t.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return t, false, notFound("action token", "")
	}
	if err != nil {
		return t, false, fmt.Errorf("store: action token: %w", err)
	}
	t.UsedAt, t.ExpiresAt = timePtr(usedAt), t.ExpiresAt.UTC()
	res, err := q.q.ExecContext(ctx, `UPDATE action_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $2`,
		id, utc(now))
	if err != nil {
		return t, false, fmt.Errorf("store: use action token: %w", err)
	}
	n, _ := res.RowsAffected()
	return t, n == 1, nil
}

// PurgeActionTokens deletes up to limit tokens that expired before before (the retention purge).
func (q *Queries) PurgeActionTokens(ctx context.Context, before time.Time, limit int) (int64, error) {
	res, err := q.q.ExecContext(ctx, `DELETE FROM action_tokens WHERE id IN (SELECT id FROM action_tokens
		WHERE expires_at < $1 LIMIT $2)`, utc(before), limit)
	if err != nil {
		return 0, fmt.Errorf("store: purge action tokens: %w", err)
	}
	return res.RowsAffected()
}

const sosCols = `id, order_id, raised_by, raiser_role, text, pages, acked_by, acked_at, created_at, updated_at`

func scanSOS(row interface{ Scan(...any) error }) (model.SOSAlert, error) {
	var a model.SOSAlert
	var ackedBy sql.NullString
	var ackedAt sql.NullTime
	err := row.Scan(&a.ID, &a.OrderID, &a.RaisedBy, &a.RaiserRole, &a.Text, &a.Pages, &ackedBy, &ackedAt, &a.CreatedAt, &a.UpdatedAt)
	a.AckedBy, a.AckedAt = ackedBy.String, timePtr(ackedAt)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return a, err
}

// InsertSOS stores a new SOS alert.
func (q *Queries) InsertSOS(ctx context.Context, a *model.SOSAlert, now time.Time) error {
	if a.ID == "" {
		a.ID = model.NewID()
	}
	a.CreatedAt, a.UpdatedAt = utc(now), utc(now)
	_, err := q.q.ExecContext(ctx, `INSERT INTO sos_alerts (`+sosCols+`) VALUES ($1,$2,$3,$4,$5,$6,NULL,NULL,$7,$7)`,
		a.ID, a.OrderID, a.RaisedBy, string(a.RaiserRole), a.Text, a.Pages, a.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: insert sos: %w", err)
	}
	return nil
}

// SOS returns an SOS alert (locked in a transaction on PostgreSQL).
func (q *Queries) SOS(ctx context.Context, id string) (model.SOSAlert, error) {
	lock := ""
	if q.inTx && q.dialect == Postgres {
		lock = " FOR UPDATE"
	}
	a, err := scanSOS(q.q.QueryRowContext(ctx, `SELECT `+sosCols+` FROM sos_alerts WHERE id = $1`+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, notFound("sos", id)
	}
	if err != nil {
		return a, fmt.Errorf("store: sos %s: %w", id, err)
	}
	return a, nil
}

// UpdateSOS writes an alert's pages and acknowledgement.
func (q *Queries) UpdateSOS(ctx context.Context, a *model.SOSAlert, now time.Time) error {
	a.UpdatedAt = utc(now)
	_, err := q.q.ExecContext(ctx, `UPDATE sos_alerts SET pages = $2, acked_by = $3, acked_at = $4, updated_at = $5 WHERE id = $1`,
		a.ID, a.Pages, nullString(a.AckedBy), nullPtrTime(a.AckedAt), a.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: update sos: %w", err)
	}
	return nil
}

// OpenSOS lists SOS alerts no operator has acknowledged, oldest first.
func (q *Queries) OpenSOS(ctx context.Context, limit int) ([]model.SOSAlert, error) {
	return queryAll(ctx, q.q, "open sos", func(r rowScanner) (model.SOSAlert, error) { return scanSOS(r) },
		`SELECT `+sosCols+` FROM sos_alerts WHERE acked_at IS NULL ORDER BY created_at, id LIMIT $1`, limit)
}
