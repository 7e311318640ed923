package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/homebell/homebell/internal/model"
)

// WorkerChangeRequests lists the customers' requests for another worker that still stand — the
// latest request on an order that has a worker and has neither been reassigned nor left by its
// worker since — oldest first. orderID "" means every order. They live in the order's events
// (worker_change_requested); this reads them as operators' approvals.
func (q *Queries) WorkerChangeRequests(ctx context.Context, orderID string, limit int) ([]model.OrderEvent, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT e.id, e.order_id, e.type, e.actor_id, e.actor_role, e.details, e.created_at
		FROM order_events e JOIN orders o ON o.id = e.order_id
		WHERE e.type = 'worker_change_requested' AND ($1 = '' OR e.order_id = $1)
		AND o.status IN ('pending', 'accepted') AND o.worker_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM order_events l WHERE l.order_id = e.order_id
			AND l.type IN ('assigned', 'worker_withdrawn', 'worker_change_requested', 'cancelled')
			AND (l.created_at > e.created_at OR (l.created_at = e.created_at AND l.id > e.id)))
		ORDER BY e.created_at, e.id LIMIT $2`, orderID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: worker change requests: %w", err)
	}
	defer rows.Close()
	var out []model.OrderEvent
	for rows.Next() {
		var e model.OrderEvent
		var role, details string
		if err := rows.Scan(&e.ID, &e.OrderID, &e.Type, &e.ActorID, &role, &details, &e.CreatedAt); err != nil {
			return nil, fmt.Errorf("store: worker change requests: %w", err)
		}
		e.ActorRole, e.Details, e.CreatedAt = model.Role(role), json.RawMessage(details), e.CreatedAt.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
