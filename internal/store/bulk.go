package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/model"
)

// Set-based writes of a bulk cancellation's chunk of orders: one statement per kind of row for the
// whole chunk instead of one per order. Each means what its one-row counterpart (UpdateOrder,
// UpdateCancellation, InsertCancellation, UpdateChangeRequest, AppendOrderEvent) means for each of
// its rows. All placeholders are written with q.param, in the order of their arguments.

// in appends vals as arguments and writes "(p,…)" with q.param's placeholders.
func (q *Queries) in(sb *strings.Builder, args []any, vals []string) []any {
	sb.WriteByte('(')
	for i, v := range vals {
		if i > 0 {
			sb.WriteByte(',')
		}
		args = append(args, v)
		q.param(sb, len(args))
	}
	sb.WriteByte(')')
	return args
}

// OrdersByIDsForUpdate is OrdersByIDs that, on PostgreSQL, also locks the orders until the
// transaction ends (SELECT … FOR UPDATE), so what the transaction writes about them next is
// written about what it read; SQLite's one writer needs no lock.
func (q *Queries) OrdersByIDsForUpdate(ctx context.Context, ids []string) (map[string]model.Order, error) {
	out := map[string]model.Order{}
	if len(ids) == 0 {
		return out, nil
	}
	var sb strings.Builder
	sb.WriteString(`SELECT ` + orderCols + ` FROM orders WHERE id IN `)
	args := q.in(&sb, nil, ids)
	if q.dialect == Postgres {
		sb.WriteString(` ORDER BY id FOR UPDATE`)
	}
	err := queryEach(ctx, q.q, "orders for update", func(r rowScanner) error {
		o, err := scanOrder(r)
		if err != nil {
			return err
		}
		out[o.ID] = o
		return nil
	}, sb.String(), args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CancelActiveOrders sets those of the orders ids that are still active (pending, accepted, in
// service) to cancelled, bumping each one's version, and returns them as stored now.
func (q *Queries) CancelActiveOrders(ctx context.Context, ids []string, now time.Time) ([]model.Order, error) {
	var out []model.Order
	for part := range slices.Chunk(ids, batchRows) {
		var sb strings.Builder
		sb.WriteString(`UPDATE orders SET status = 'cancelled', version = version + 1, updated_at = `)
		args := []any{utc(now)}
		q.param(&sb, 1)
		sb.WriteString(` WHERE status IN ('pending','accepted','in_service') AND id IN `)
		args = q.in(&sb, args, part)
		sb.WriteString(` RETURNING ` + orderCols)
		err := queryEach(ctx, q.q, "cancel orders", func(r rowScanner) error {
			o, err := scanOrder(r)
			out = append(out, o)
			return err
		}, sb.String(), args...)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DeclinePendingCancellations declines the cancellations of the orders orderIDs that await an
// operator, as decided by decidedBy for reason at now, and returns how many there were.
func (q *Queries) DeclinePendingCancellations(ctx context.Context, orderIDs []string, decidedBy, reason string, now time.Time) (int64, error) {
	var n int64
	for part := range slices.Chunk(orderIDs, batchRows) {
		var sb strings.Builder
		sb.WriteString(`UPDATE cancellations SET status = 'declined', decided_by = `)
		args := []any{decidedBy, reason, utc(now)}
		q.param(&sb, 1)
		sb.WriteString(`, decision_reason = `)
		q.param(&sb, 2)
		sb.WriteString(`, decided_at = `)
		q.param(&sb, 3)
		sb.WriteString(` WHERE status = 'pending_approval' AND order_id IN `)
		args = q.in(&sb, args, part)
		res, err := q.q.ExecContext(ctx, sb.String(), args...)
		if err != nil {
			return n, fmt.Errorf("store: decline pending cancellations: %w", err)
		}
		k, _ := res.RowsAffected()
		n += k
	}
	return n, nil
}

// InsertCancellations stores cs (each gets an id if it has none).
func (q *Queries) InsertCancellations(ctx context.Context, cs []*model.Cancellation) error {
	for part := range slices.Chunk(cs, batchRows) {
		var sb strings.Builder
		args := make([]any, 0, 16*len(part))
		sb.WriteString(`INSERT INTO cancellations (` + cancellationCols + `) VALUES `)
		for i, c := range part {
			if c.ID == "" {
				c.ID = model.NewID()
			}
			c.CreatedAt = utc(c.CreatedAt)
			args = q.valuesRow(&sb, i == 0, args, "", c.ID, c.OrderID, c.RequesterID, string(c.RequesterRole), c.Reason, c.ForceMajeure, c.Policy,
				c.RefundCents, c.FeeCents, orderNullTime(c.RefundETA), c.Status, c.DecidedBy, c.DecisionReason, c.CreatedAt,
				orderNullTime(c.DecidedAt), orderNullTime(c.SettledAt))
		}
		if _, err := q.q.ExecContext(ctx, sb.String(), args...); err != nil {
			if isUniqueViolation(err) {
				return model.Errorf(model.CodeConflict, "an order already has a cancellation awaiting approval")
			}
			return fmt.Errorf("store: insert cancellations: %w", err)
		}
	}
	return nil
}

// WithdrawOpenChanges withdraws the open (pending or escalated) time change requests of the orders
// orderIDs, as decided by decidedBy at now, and returns their ids.
func (q *Queries) WithdrawOpenChanges(ctx context.Context, orderIDs []string, decidedBy string, now time.Time) ([]string, error) {
	var out []string
	for part := range slices.Chunk(orderIDs, batchRows) {
		var sb strings.Builder
		sb.WriteString(`UPDATE change_requests SET state = 'withdrawn', decided_by = `)
		args := []any{decidedBy, utc(now)}
		q.param(&sb, 1)
		sb.WriteString(`, decided_at = `)
		q.param(&sb, 2)
		sb.WriteString(` WHERE state IN ('pending','escalated') AND order_id IN `)
		args = q.in(&sb, args, part)
		sb.WriteString(` RETURNING id`)
		ids, err := q.ids(ctx, "withdraw open changes", sb.String(), args...)
		if err != nil {
			return nil, err
		}
		out = append(out, ids...)
	}
	return out, nil
}

// AppendOrderEvents adds es to their orders' timelines (each gets an id if it has none).
func (q *Queries) AppendOrderEvents(ctx context.Context, es []*model.OrderEvent) error {
	for part := range slices.Chunk(es, batchRows) {
		var sb strings.Builder
		args := make([]any, 0, 7*len(part))
		sb.WriteString(`INSERT INTO order_events (id, order_id, type, actor_id, actor_role, details, created_at) VALUES `)
		for i, e := range part {
			if e.ID == "" {
				e.ID = model.NewID()
			}
			if len(e.Details) == 0 {
				e.Details = json.RawMessage("{}")
			}
			e.CreatedAt = utc(e.CreatedAt)
			args = q.valuesRow(&sb, i == 0, args, "", e.ID, e.OrderID, e.Type, e.ActorID, string(e.ActorRole), string(e.Details), e.CreatedAt)
		}
		if _, err := q.q.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("store: order events: %w", err)
		}
	}
	return nil
}
