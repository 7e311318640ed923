package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/model"
)

const visitCols = `order_id, worker_id, on_the_way_at, eta, told_eta, told_at, nudged_at, late_for, arrived_at,
	start_code, code_failures, started_at, override_by, override_reason, updated_at`

func scanVisit(row interface{ Scan(...any) error }) (model.Visit, error) {
	var v model.Visit
	var onWay, eta, toldETA, toldAt, nudged, lateFor, arrived, started sql.NullTime
	err := row.Scan(&v.OrderID, &v.WorkerID, &onWay, &eta, &toldETA, &toldAt, &nudged, &lateFor, &arrived,
		&v.StartCode, &v.CodeFailures, &started, &v.OverrideBy, &v.OverrideReason, &v.UpdatedAt)
	v.OnTheWayAt, v.ETA, v.ToldETA, v.ToldAt = ptrTime(onWay), ptrTime(eta), ptrTime(toldETA), ptrTime(toldAt)
	v.NudgedAt, v.LateFor, v.ArrivedAt, v.StartedAt = ptrTime(nudged), ptrTime(lateFor), ptrTime(arrived), ptrTime(started)
	v.UpdatedAt = v.UpdatedAt.UTC()
	return v, err
}

func visitTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return utc(*t)
}

// Visit returns an order's visit row; found is false when it has none.
func (q *Queries) Visit(ctx context.Context, orderID string) (v model.Visit, found bool, err error) {
	v, err = scanVisit(q.q.QueryRowContext(ctx, `SELECT `+visitCols+` FROM order_visits WHERE order_id = $1`, orderID))
	if errors.Is(err, sql.ErrNoRows) {
		return model.Visit{}, false, nil
	}
	if err != nil {
		return v, false, fmt.Errorf("store: visit %s: %w", orderID, err)
	}
	return v, true, nil
}

// PutVisit writes an order's visit row whole (insert or replace).
func (q *Queries) PutVisit(ctx context.Context, v *model.Visit, now time.Time) error {
	v.UpdatedAt = utc(now)
	_, err := q.q.ExecContext(ctx, `INSERT INTO order_visits (`+visitCols+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)
		ON CONFLICT (order_id) DO UPDATE SET worker_id = excluded.worker_id, on_the_way_at = excluded.on_the_way_at,
		eta = excluded.eta, told_eta = excluded.told_eta, told_at = excluded.told_at, nudged_at = excluded.nudged_at,
		late_for = excluded.late_for, arrived_at = excluded.arrived_at, start_code = excluded.start_code,
		code_failures = excluded.code_failures, started_at = excluded.started_at, override_by = excluded.override_by,
		override_reason = excluded.override_reason, updated_at = excluded.updated_at`,
		v.OrderID, v.WorkerID, visitTime(v.OnTheWayAt), visitTime(v.ETA), visitTime(v.ToldETA), visitTime(v.ToldAt),
		visitTime(v.NudgedAt), visitTime(v.LateFor), visitTime(v.ArrivedAt), v.StartCode, v.CodeFailures,
		visitTime(v.StartedAt), v.OverrideBy, v.OverrideReason, v.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: put visit %s: %w", v.OrderID, err)
	}
	return nil
}

// VisitExceptions lists the visits operators must look at (Y4), oldest appointment first: the
// order's current worker had not set out at the appointment (late_for is its appointment), or
// used up the start-code attempts; only orders still accepted (not started, not cancelled).
func (q *Queries) VisitExceptions(ctx context.Context, maxFailures, limit int) ([]model.Visit, error) {
	return queryAll(ctx, q.q, "visit exceptions", func(r rowScanner) (model.Visit, error) { return scanVisit(r) },
		`SELECT `+prefixed("v.", visitCols)+` FROM order_visits v JOIN orders o ON o.id = v.order_id
		WHERE o.status = 'accepted' AND o.worker_id = v.worker_id
		AND ((v.late_for = o.appointment_at AND v.on_the_way_at IS NULL AND v.arrived_at IS NULL) OR v.code_failures >= $1)
		ORDER BY o.appointment_at, o.id LIMIT $2`, maxFailures, limit)
}

// AddOrderPhotos stores an order's proof-of-service photos in the given order.
func (q *Queries) AddOrderPhotos(ctx context.Context, orderID string, photos []model.OrderPhoto, now time.Time) error {
	for i, p := range photos {
		if _, err := q.q.ExecContext(ctx, `INSERT INTO order_photos (order_id, file_id, phase, position, created_at)
			VALUES ($1,$2,$3,$4,$5)`, orderID, p.FileID, p.Phase, i, utc(now)); err != nil {
			return fmt.Errorf("store: order photo %s: %w", p.FileID, err)
		}
	}
	return nil
}

// OrderPhotos lists an order's proof-of-service photos in the order they were given.
func (q *Queries) OrderPhotos(ctx context.Context, orderID string) ([]model.OrderPhoto, error) {
	return queryAll(ctx, q.q, "order photos", func(r rowScanner) (model.OrderPhoto, error) {
		var p model.OrderPhoto
		if err := r.Scan(&p.FileID, &p.Phase, &p.CreatedAt); err != nil {
			return p, err
		}
		p.CreatedAt = p.CreatedAt.UTC()
		p.URL, p.ThumbnailURL = "/v1/files/"+p.FileID, "/v1/files/"+p.FileID+"/thumbnail"
		return p, nil
	}, `SELECT file_id, phase, created_at FROM order_photos WHERE order_id = $1
		ORDER BY position, file_id`, orderID)
}

// OrdersShowingPhoto lists the orders whose proof of service shows a file.
func (q *Queries) OrdersShowingPhoto(ctx context.Context, fileID string) ([]string, error) {
	return q.ids(ctx, "orders showing photo", `SELECT order_id FROM order_photos WHERE file_id = $1 ORDER BY order_id LIMIT 100`, fileID)
}

// prefixed qualifies each of a comma-separated column list with a table alias.
func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = alias + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// CancelJobs cancels the pending jobs with any of keys in one statement (an order's reminders and
// visit timers go together); it returns how many were pending.
func (q *Queries) CancelJobs(ctx context.Context, keys []string, now time.Time) (int64, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	// Placeholders by q.param: an order's 4 keys or a bulk cancellation chunk's 800.
	var sb strings.Builder
	sb.WriteString(`UPDATE jobs SET state = 'cancelled', updated_at = `)
	q.param(&sb, 1)
	sb.WriteString(` WHERE state IN ('scheduled','running') AND key IN `)
	args := q.in(&sb, []any{utc(now)}, keys)
	res, err := q.q.ExecContext(ctx, sb.String(), args...)
	if err != nil {
		return 0, fmt.Errorf("store: cancel jobs: %w", err)
	}
	return res.RowsAffected()
}
