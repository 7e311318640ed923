package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/model"
)

// WorkerChangeRequests lists the customers' requests for another worker that still stand — the
// latest request on an order that has a worker and has neither been reassigned nor left by its
// worker since — oldest first. orderID "" means every order. They live in the order's events
// (worker_change_requested); this reads them as operators' approvals.
func (q *Queries) WorkerChangeRequests(ctx context.Context, orderID string, limit int) ([]model.OrderEvent, error) {
	return queryAll(ctx, q.q, "worker change requests", scanOrderEvent, `SELECT e.id, e.order_id, e.type, e.actor_id, e.actor_role, e.details, e.created_at
		FROM order_events e JOIN orders o ON o.id = e.order_id
		WHERE e.type = 'worker_change_requested' AND ($1 = '' OR e.order_id = $1)
		AND o.status IN ('pending', 'accepted') AND o.worker_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM order_events l WHERE l.order_id = e.order_id
			AND l.type IN ('assigned', 'worker_withdrawn', 'worker_change_requested', 'cancelled')
			AND (l.created_at > e.created_at OR (l.created_at = e.created_at AND l.id > e.id)))
		ORDER BY e.created_at, e.id LIMIT $2`, orderID, limit)
}

// OrderSort is the order of an order list.
type OrderSort string

// The sorts of an order list.
const (
	SortNewest          OrderSort = "-created"     // newest booking first (ids are UUIDv7)
	SortAppointment     OrderSort = "appointment"  // soonest appointment first
	SortAppointmentDesc OrderSort = "-appointment" // latest appointment first
)

// OrderQuery selects a page of orders for the operators' console and the people's own lists.
// Empty fields do not filter.
type OrderQuery struct {
	CustomerID    string
	WorkerID      string
	Status        model.OrderStatus
	ServiceItemID string
	Area          string
	From, To      time.Time // appointment in [From, To)
	// Search matches an order id (exactly or its start), a customer's or worker's id (exactly)
	// or name (a part of it), or a part of the address; letters case-insensitively.
	Search string
	Sort   OrderSort
	// The cursor: the last order of the previous page (AfterAt is its appointment, used by the
	// appointment sorts).
	AfterID string
	AfterAt time.Time
	Limit   int
}

// where builds the WHERE clause of f (without the status when withStatus is false, for counts).
func (f OrderQuery) where(withStatus, withCursor bool) (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if f.CustomerID != "" {
		conds = append(conds, "customer_id = "+arg(f.CustomerID))
	}
	if f.WorkerID != "" {
		conds = append(conds, "worker_id = "+arg(f.WorkerID))
	}
	if withStatus && f.Status != "" {
		conds = append(conds, "status = "+arg(string(f.Status)))
	}
	if f.ServiceItemID != "" {
		conds = append(conds, "service_item_id = "+arg(f.ServiceItemID))
	}
	if f.Area != "" {
		conds = append(conds, "area = "+arg(f.Area))
	}
	if !f.From.IsZero() {
		conds = append(conds, "appointment_at >= "+arg(utc(f.From)))
	}
	if !f.To.IsZero() {
		conds = append(conds, "appointment_at < "+arg(utc(f.To)))
	}
	if s := strings.TrimSpace(f.Search); s != "" {
		exact, prefix, part := arg(s), arg(likeEscape(s)+"%"), arg("%"+likeEscape(strings.ToLower(s))+"%")
		conds = append(conds, `(id = `+exact+` OR id LIKE `+prefix+` ESCAPE '\' OR customer_id = `+exact+` OR worker_id = `+exact+`
			OR LOWER(address) LIKE `+part+` ESCAPE '\'
			OR customer_id IN (SELECT p.id FROM people p WHERE LOWER(p.name) LIKE `+part+` ESCAPE '\')
			OR worker_id IN (SELECT p.id FROM people p WHERE LOWER(p.name) LIKE `+part+` ESCAPE '\'))`)
	}
	if withCursor && f.AfterID != "" {
		switch f.Sort {
		case SortAppointment:
			at, id := arg(utc(f.AfterAt)), arg(f.AfterID)
			conds = append(conds, "(appointment_at > "+at+" OR (appointment_at = "+at+" AND id > "+id+"))")
		case SortAppointmentDesc:
			at, id := arg(utc(f.AfterAt)), arg(f.AfterID)
			conds = append(conds, "(appointment_at < "+at+" OR (appointment_at = "+at+" AND id < "+id+"))")
		default:
			conds = append(conds, "id < "+arg(f.AfterID))
		}
	}
	if len(conds) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// OrderPage lists at most f.Limit orders matching f after its cursor, in f.Sort's order.
func (q *Queries) OrderPage(ctx context.Context, f OrderQuery) ([]model.Order, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	where, args := f.where(true, true)
	order := " ORDER BY id DESC"
	switch f.Sort {
	case SortAppointment:
		order = " ORDER BY appointment_at, id"
	case SortAppointmentDesc:
		order = " ORDER BY appointment_at DESC, id DESC"
	}
	args = append(args, f.Limit)
	return queryAll(ctx, q.q, "order page", func(r rowScanner) (model.Order, error) { return scanOrder(r) },
		`SELECT `+orderCols+` FROM orders`+where+order+` LIMIT $`+strconv.Itoa(len(args)), args...)
}

// OrderCounts counts the orders matching f in each status, whatever f.Status and the cursor say
// (the console's status tabs). Statuses without orders are absent.
func (q *Queries) OrderCounts(ctx context.Context, f OrderQuery) (map[model.OrderStatus]int, error) {
	where, args := f.where(false, false)
	out := map[model.OrderStatus]int{}
	err := queryEach(ctx, q.q, "order counts", func(r rowScanner) error {
		var s string
		var n int
		if err := r.Scan(&s, &n); err != nil {
			return err
		}
		out[model.OrderStatus(s)] = n
		return nil
	}, `SELECT status, COUNT(*) FROM orders`+where+` GROUP BY status`, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}
