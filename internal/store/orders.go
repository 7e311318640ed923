package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/model"
)

const orderCols = `id, customer_id, worker_id, service_item_id, address, area, appointment_at, requirements,
	amount_paid_cents, status, version, created_at, updated_at`

func scanOrder(row interface{ Scan(...any) error }) (model.Order, error) {
	var o model.Order
	var worker sql.NullString
	var status string
	err := row.Scan(&o.ID, &o.CustomerID, &worker, &o.ServiceItemID, &o.Address, &o.Area, &o.AppointmentAt,
		&o.Requirements, &o.AmountPaidCents, &status, &o.Version, &o.CreatedAt, &o.UpdatedAt)
	o.WorkerID, o.Status = worker.String, model.OrderStatus(status)
	o.AppointmentAt, o.CreatedAt, o.UpdatedAt = o.AppointmentAt.UTC(), o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return o, err
}

func orderNullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// InsertOrder stores a new order at version 1.
func (q *Queries) InsertOrder(ctx context.Context, o *model.Order, now time.Time) error {
	if o.ID == "" {
		o.ID = model.NewID()
	}
	o.Version, o.CreatedAt, o.UpdatedAt, o.AppointmentAt = 1, utc(now), utc(now), utc(o.AppointmentAt)
	_, err := q.q.ExecContext(ctx, `INSERT INTO orders (`+orderCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
		o.ID, o.CustomerID, orderNullString(o.WorkerID), o.ServiceItemID, o.Address, o.Area, o.AppointmentAt, o.Requirements,
		o.AmountPaidCents, string(o.Status), o.Version, o.CreatedAt, o.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: insert order: %w", err)
	}
	return nil
}

// Order returns one order.
func (q *Queries) Order(ctx context.Context, id string) (model.Order, error) {
	o, err := scanOrder(q.q.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return o, notFound("order", id)
	}
	if err != nil {
		return o, fmt.Errorf("store: order %s: %w", id, err)
	}
	return o, nil
}

// UpdateOrder writes o's mutable fields if the stored version is still o.Version, and bumps the
// version. When another transaction changed the order first it returns a conflict error: two
// workers accepting at once, exactly one wins.
func (q *Queries) UpdateOrder(ctx context.Context, o *model.Order, now time.Time) error {
	res, err := q.q.ExecContext(ctx, `UPDATE orders SET worker_id = $3, address = $4, area = $5, appointment_at = $6,
		requirements = $7, amount_paid_cents = $8, status = $9, version = version + 1, updated_at = $10
		WHERE id = $1 AND version = $2`,
		o.ID, o.Version, orderNullString(o.WorkerID), o.Address, o.Area, utc(o.AppointmentAt), o.Requirements,
		o.AmountPaidCents, string(o.Status), utc(now))
	if err != nil {
		return fmt.Errorf("store: update order %s: %w", o.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return model.Errorf(model.CodeConflict, "order %s was changed by someone else; reload it", o.ID)
	}
	o.Version++
	o.UpdatedAt = utc(now)
	o.AppointmentAt = utc(o.AppointmentAt)
	return nil
}

// OrderFilter selects orders for a list. Empty fields do not filter.
type OrderFilter struct {
	CustomerID string
	WorkerID   string
	Status     model.OrderStatus
	OpenOnly   bool   // pending orders without a worker, soonest appointment first
	After      string // cursor: the last id of the previous page (ignored with OpenOnly)
	Limit      int
}

// Orders lists orders, newest first (by id), or with OpenOnly the open ones soonest first.
func (q *Queries) Orders(ctx context.Context, f OrderFilter) ([]model.Order, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	scan := func(r rowScanner) (model.Order, error) { return scanOrder(r) }
	if f.OpenOnly {
		return queryAll(ctx, q.q, "orders", scan, `SELECT `+orderCols+` FROM orders WHERE status = 'pending' AND worker_id IS NULL
			ORDER BY appointment_at, id LIMIT $1`, f.Limit)
	}
	return queryAll(ctx, q.q, "orders", scan, `SELECT `+orderCols+` FROM orders
		WHERE ($1 = '' OR customer_id = $1) AND ($2 = '' OR worker_id = $2) AND ($3 = '' OR status = $3)
		AND ($4 = '' OR id < $4) ORDER BY id DESC LIMIT $5`,
		f.CustomerID, f.WorkerID, string(f.Status), f.After, f.Limit)
}

// OrdersInArea lists the orders of an area whose appointment lies in [from, to), any status.
func (q *Queries) OrdersInArea(ctx context.Context, area string, from, to time.Time) ([]model.Order, error) {
	return queryAll(ctx, q.q, "orders in area", func(r rowScanner) (model.Order, error) { return scanOrder(r) },
		`SELECT `+orderCols+` FROM orders WHERE area = $1 AND appointment_at >= $2
		AND appointment_at < $3 ORDER BY appointment_at, id`, area, utc(from), utc(to))
}

// OrdersInAreaPage is a page of OrdersInArea: at most limit orders after (afterAt, afterID) in
// its order (appointment, id); a zero afterAt starts at the beginning.
func (q *Queries) OrdersInAreaPage(ctx context.Context, area string, from, to, afterAt time.Time, afterID string, limit int) ([]model.Order, error) {
	if afterAt.IsZero() {
		afterAt = from.Add(-time.Second)
	}
	return queryAll(ctx, q.q, "orders in area", func(r rowScanner) (model.Order, error) { return scanOrder(r) },
		`SELECT `+orderCols+` FROM orders WHERE area = $1 AND appointment_at >= $2
		AND appointment_at < $3 AND (appointment_at > $4 OR (appointment_at = $4 AND id > $5))
		ORDER BY appointment_at, id LIMIT $6`, area, utc(from), utc(to), utc(afterAt), afterID, limit)
}

// AppendOrderEvent adds a line to an order's timeline.
func (q *Queries) AppendOrderEvent(ctx context.Context, e *model.OrderEvent) error {
	if e.ID == "" {
		e.ID = model.NewID()
	}
	if len(e.Details) == 0 {
		e.Details = json.RawMessage("{}")
	}
	e.CreatedAt = utc(e.CreatedAt)
	_, err := q.q.ExecContext(ctx, `INSERT INTO order_events (id, order_id, type, actor_id, actor_role, details, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7)`, e.ID, e.OrderID, e.Type, e.ActorID, string(e.ActorRole), string(e.Details), e.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: order event: %w", err)
	}
	return nil
}

// OrderEvents lists an order's timeline, oldest first.
func (q *Queries) OrderEvents(ctx context.Context, orderID string) ([]model.OrderEvent, error) {
	return queryAll(ctx, q.q, "order events", scanOrderEvent, `SELECT id, order_id, type, actor_id, actor_role, details, created_at
		FROM order_events WHERE order_id = $1 ORDER BY created_at, id`, orderID)
}

// scanOrderEvent reads one line of a timeline: id, order_id, type, actor_id, actor_role, details, created_at.
func scanOrderEvent(r rowScanner) (model.OrderEvent, error) {
	var e model.OrderEvent
	var role, details string
	if err := r.Scan(&e.ID, &e.OrderID, &e.Type, &e.ActorID, &role, &details, &e.CreatedAt); err != nil {
		return e, err
	}
	e.ActorRole, e.Details, e.CreatedAt = model.Role(role), json.RawMessage(details), e.CreatedAt.UTC()
	return e, nil
}

const changeCols = `id, order_id, requester_id, requester_role, old_time, new_time, reason, state, needs_operator,
	deadline, decided_by, decision_reason, created_at, decided_at`

func scanChange(row interface{ Scan(...any) error }) (model.ChangeRequest, error) {
	var c model.ChangeRequest
	var role string
	var decided sql.NullTime
	err := row.Scan(&c.ID, &c.OrderID, &c.RequesterID, &role, &c.OldTime, &c.NewTime, &c.Reason, &c.State,
		&c.NeedsOperator, &c.Deadline, &c.DecidedBy, &c.DecisionReason, &c.CreatedAt, &decided)
	c.RequesterRole = model.Role(role)
	c.OldTime, c.NewTime, c.Deadline, c.CreatedAt = c.OldTime.UTC(), c.NewTime.UTC(), c.Deadline.UTC(), c.CreatedAt.UTC()
	if decided.Valid {
		t := decided.Time.UTC()
		c.DecidedAt = &t
	}
	return c, err
}

// InsertChangeRequest stores a new time change request; an order with an open request refuses a
// second one (conflict).
func (q *Queries) InsertChangeRequest(ctx context.Context, c *model.ChangeRequest) error {
	if c.ID == "" {
		c.ID = model.NewID()
	}
	c.OldTime, c.NewTime, c.Deadline, c.CreatedAt = utc(c.OldTime), utc(c.NewTime), utc(c.Deadline), utc(c.CreatedAt)
	_, err := q.q.ExecContext(ctx, `INSERT INTO change_requests (`+changeCols+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
		c.ID, c.OrderID, c.RequesterID, string(c.RequesterRole), c.OldTime, c.NewTime, c.Reason, c.State, c.NeedsOperator,
		c.Deadline, c.DecidedBy, c.DecisionReason, c.CreatedAt, nil)
	if isUniqueViolation(err) {
		return model.Errorf(model.CodeConflict, "order %s already has an open time change request", c.OrderID)
	}
	if err != nil {
		return fmt.Errorf("store: insert change request: %w", err)
	}
	return nil
}

// ChangeRequest returns one time change request.
func (q *Queries) ChangeRequest(ctx context.Context, id string) (model.ChangeRequest, error) {
	c, err := scanChange(q.q.QueryRowContext(ctx, `SELECT `+changeCols+` FROM change_requests WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("change request", id)
	}
	if err != nil {
		return c, fmt.Errorf("store: change request %s: %w", id, err)
	}
	return c, nil
}

// OpenChangeRequest returns the order's open (pending or escalated) request; found is false if none.
func (q *Queries) OpenChangeRequest(ctx context.Context, orderID string) (c model.ChangeRequest, found bool, err error) {
	c, err = scanChange(q.q.QueryRowContext(ctx, `SELECT `+changeCols+` FROM change_requests
		WHERE order_id = $1 AND state IN ('pending','escalated')`, orderID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("store: open change request: %w", err)
	}
	return c, true, nil
}

// UpdateChangeRequest records a request's new state, only if it is still open (else a conflict).
func (q *Queries) UpdateChangeRequest(ctx context.Context, c *model.ChangeRequest) error {
	var decided any
	if c.DecidedAt != nil {
		decided = utc(*c.DecidedAt)
	}
	res, err := q.q.ExecContext(ctx, `UPDATE change_requests SET state = $2, needs_operator = $3, decided_by = $4,
		decision_reason = $5, decided_at = $6 WHERE id = $1 AND state IN ('pending','escalated')`,
		c.ID, c.State, c.NeedsOperator, c.DecidedBy, c.DecisionReason, decided)
	if err != nil {
		return fmt.Errorf("store: update change request: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return model.Errorf(model.CodeConflict, "change request %s was already answered", c.ID)
	}
	return nil
}

// OperatorChangeRequests lists open requests that operators decide, oldest first.
func (q *Queries) OperatorChangeRequests(ctx context.Context, limit int) ([]model.ChangeRequest, error) {
	return queryAll(ctx, q.q, "operator change requests", func(r rowScanner) (model.ChangeRequest, error) { return scanChange(r) },
		`SELECT `+changeCols+` FROM change_requests
		WHERE state IN ('pending','escalated') AND (needs_operator OR state = 'escalated') ORDER BY created_at, id LIMIT $1`, limit)
}

const cancellationCols = `id, order_id, requester_id, requester_role, reason, force_majeure, policy, refund_cents,
	fee_cents, refund_eta, status, decided_by, decision_reason, created_at, decided_at, settled_at`

func scanCancellation(row interface{ Scan(...any) error }) (model.Cancellation, error) {
	var c model.Cancellation
	var role string
	var eta, decided, settled sql.NullTime
	err := row.Scan(&c.ID, &c.OrderID, &c.RequesterID, &role, &c.Reason, &c.ForceMajeure, &c.Policy, &c.RefundCents,
		&c.FeeCents, &eta, &c.Status, &c.DecidedBy, &c.DecisionReason, &c.CreatedAt, &decided, &settled)
	c.RequesterRole, c.CreatedAt = model.Role(role), c.CreatedAt.UTC()
	c.RefundETA, c.DecidedAt, c.SettledAt = orderPtrTime(eta), orderPtrTime(decided), orderPtrTime(settled)
	return c, err
}

func orderPtrTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

func orderNullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return utc(*t)
}

// InsertCancellation stores a cancellation; a second one awaiting approval is a conflict.
func (q *Queries) InsertCancellation(ctx context.Context, c *model.Cancellation) error {
	if c.ID == "" {
		c.ID = model.NewID()
	}
	c.CreatedAt = utc(c.CreatedAt)
	_, err := q.q.ExecContext(ctx, `INSERT INTO cancellations (`+cancellationCols+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)`,
		c.ID, c.OrderID, c.RequesterID, string(c.RequesterRole), c.Reason, c.ForceMajeure, c.Policy, c.RefundCents,
		c.FeeCents, orderNullTime(c.RefundETA), c.Status, c.DecidedBy, c.DecisionReason, c.CreatedAt,
		orderNullTime(c.DecidedAt), orderNullTime(c.SettledAt))
	if isUniqueViolation(err) {
		return model.Errorf(model.CodeConflict, "order %s already has a cancellation awaiting approval", c.OrderID)
	}
	if err != nil {
		return fmt.Errorf("store: insert cancellation: %w", err)
	}
	return nil
}

// LatestCancellation returns the order's newest cancellation; found is false if none.
func (q *Queries) LatestCancellation(ctx context.Context, orderID string) (c model.Cancellation, found bool, err error) {
	c, err = scanCancellation(q.q.QueryRowContext(ctx, `SELECT `+cancellationCols+` FROM cancellations
		WHERE order_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1`, orderID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("store: cancellation: %w", err)
	}
	return c, true, nil
}

// UpdateCancellation records a cancellation's new status if it still has status from (else a
// conflict: someone decided first).
func (q *Queries) UpdateCancellation(ctx context.Context, c *model.Cancellation, from string) error {
	res, err := q.q.ExecContext(ctx, `UPDATE cancellations SET status = $3, decided_by = $4, decision_reason = $5,
		decided_at = $6, settled_at = $7, refund_eta = $8 WHERE id = $1 AND status = $2`,
		c.ID, from, c.Status, c.DecidedBy, c.DecisionReason, orderNullTime(c.DecidedAt), orderNullTime(c.SettledAt),
		orderNullTime(c.RefundETA))
	if err != nil {
		return fmt.Errorf("store: update cancellation: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return model.Errorf(model.CodeConflict, "cancellation %s is no longer %s", c.ID, from)
	}
	return nil
}

// PendingCancellations lists cancellations awaiting an operator, oldest first.
func (q *Queries) PendingCancellations(ctx context.Context, limit int) ([]model.Cancellation, error) {
	return queryAll(ctx, q.q, "pending cancellations", func(r rowScanner) (model.Cancellation, error) { return scanCancellation(r) },
		`SELECT `+cancellationCols+` FROM cancellations WHERE status = 'pending_approval'
		ORDER BY created_at, id LIMIT $1`, limit)
}

// OrderEverAssigned returns one order and whether it ever had a worker (an "accepted" or
// "assigned" line in its timeline) in one statement: an accept or assign tells the customer of a
// worker change rather than a first acceptance after a withdrawal.
func (q *Queries) OrderEverAssigned(ctx context.Context, id string) (model.Order, bool, error) {
	var ever bool
	o, err := scanOrder(scanAlso{q.q.QueryRowContext(ctx, `SELECT `+orderCols+`, EXISTS (SELECT 1 FROM order_events
		WHERE order_id = $1 AND type IN ('accepted','assigned')) FROM orders WHERE id = $1`, id), []any{&ever}})
	if errors.Is(err, sql.ErrNoRows) {
		return o, false, notFound("order", id)
	}
	if err != nil {
		return o, false, fmt.Errorf("store: order %s: %w", id, err)
	}
	return o, ever, nil
}

// OrderActionState is an order with what its visit actions and its completion decide on besides it,
// and what its view shows besides it (an action answers with the view: Extras as read here).
type OrderActionState struct {
	Order      model.Order
	Visit      model.Visit // its visit row; zero when it has none
	VisitFound bool
	OpenChange bool        // it has a pending or escalated time change request (Extras.Change)
	Extras     OrderExtras // as OrderExtrasOf reads them; Extras.Visit points to Visit when found
}

// OrderActionStateOf returns one order with its OrderExtras (its open time change request, its
// latest cancellation, its visit row) in one statement.
func (q *Queries) OrderActionStateOf(ctx context.Context, id string) (OrderActionState, error) {
	return q.orderActionState(ctx, id, nil)
}

// OrderActionStateEver is OrderActionStateOf with OrderEverAssigned's flag (whether the order ever
// had a worker), in one statement: an accept's.
func (q *Queries) OrderActionStateEver(ctx context.Context, id string) (OrderActionState, bool, error) {
	var ever bool
	st, err := q.orderActionState(ctx, id, &ever)
	return st, ever, err
}

// everAssigned is OrderEverAssigned's flag as a column (no comma: padded counts the columns by them).
const everAssigned = `EXISTS (SELECT 1 FROM order_events WHERE order_id = o.id AND (type = 'accepted' OR type = 'assigned'))`

func (q *Queries) orderActionState(ctx context.Context, id string, ever *bool) (OrderActionState, error) {
	if q.dialect == SQLite {
		return q.orderActionStateSQLite(ctx, id, ever)
	}
	var st OrderActionState
	var hasChange, hasCancellation, hasVisit bool
	var c model.ChangeRequest
	var cn model.Cancellation
	var v model.Visit
	query, lead := orderStateSQL, []any{&hasChange, &hasCancellation, &hasVisit}
	if ever != nil {
		query, lead = orderStateEverSQL, append(lead, ever)
	}
	err := scanJoined(q.q.QueryRowContext(ctx, query, id), lead,
		func(row rowScanner) (err error) { st.Order, err = scanOrder(row); return err },
		func(row rowScanner) (err error) { c, err = scanChange(row); return err },
		func(row rowScanner) (err error) { cn, err = scanCancellation(row); return err },
		func(row rowScanner) (err error) { v, err = scanVisit(row); return err })
	if errors.Is(err, sql.ErrNoRows) {
		return OrderActionState{}, notFound("order", id)
	}
	if err != nil {
		return OrderActionState{}, fmt.Errorf("store: order %s: %w", id, err)
	}
	if hasChange {
		st.Extras.Change, st.OpenChange = &c, true
	}
	if hasCancellation {
		st.Extras.Cancellation = &cn
	}
	if hasVisit {
		st.Visit, st.VisitFound = v, true
		st.Extras.Visit = &v
	}
	return st, nil
}

// orderStateSQL is OrderActionStateOf's statement on PostgreSQL: orderExtrasSQL's joins on the
// order's row; orderStateEverSQL with everAssigned after the three flags.
var orderStateSQL, orderStateEverSQL = orderStatePG(""), orderStatePG(everAssigned + ", ")

func orderStatePG(more string) string {
	return `SELECT cr.id IS NOT NULL, cn.id IS NOT NULL, v.order_id IS NOT NULL, ` + more +
		prefixed("o.", orderCols) + `, ` + prefixed("cr.", changeCols) + `, ` + prefixed("cn.", cancellationCols) + `, ` + prefixed("v.", visitCols) + `
	FROM orders o
	LEFT JOIN change_requests cr ON cr.order_id = o.id AND cr.state IN ('pending','escalated')
	LEFT JOIN cancellations cn ON cn.id = (SELECT id FROM cancellations WHERE order_id = o.id ORDER BY created_at DESC, id DESC LIMIT 1)
	LEFT JOIN order_visits v ON v.order_id = o.id
	WHERE o.id = $1`
}

// orderActionStateSQLite reads the same in one statement on SQLite as orderExtrasSQLite does: the
// order's row (tag 0; with ever, everAssigned after its columns) and orderExtrasSQLite's rows
// (tags 1, 2 and 3), each padded to the widest.
func (q *Queries) orderActionStateSQLite(ctx context.Context, id string, ever *bool) (OrderActionState, error) {
	var st OrderActionState
	var vals [1 + orderExtrasWidth]any
	var dests [len(vals)]any
	for i := range vals {
		dests[i] = &vals[i]
	}
	found := false
	query := orderStateSQLiteSQL
	if ever != nil {
		query = orderStateEverSQLiteSQL
	}
	err := queryEach(ctx, q.q, "order "+id, func(r rowScanner) error {
		if err := r.Scan(dests[:]...); err != nil {
			return err
		}
		row := valuesRow(vals[1:])
		if tag, _ := vals[0].(int64); tag == 0 {
			o, err := scanOrder(row)
			if err != nil {
				return err
			}
			st.Order, found = o, true
			if ever != nil {
				n := orNull{ever}
				return n.Scan(vals[1+orderColCount])
			}
			return nil
		}
		return st.Extras.scanTagged(vals[0], row)
	}, query, id)
	if err != nil {
		return OrderActionState{}, err
	}
	if !found {
		return OrderActionState{}, notFound("order", id)
	}
	st.OpenChange = st.Extras.Change != nil
	if st.Extras.Visit != nil {
		st.Visit, st.VisitFound = *st.Extras.Visit, true
	}
	return st, nil
}

var orderStateSQLiteSQL, orderStateEverSQLiteSQL = orderStateSQLite(""), orderStateSQLite(", " + everAssigned)

func orderStateSQLite(more string) string {
	return `SELECT 0, ` + padded(joinedCols(SQLite, "o.", orderCols)+more, orderExtrasWidth) + `
	FROM orders o WHERE o.id = $1
	UNION ALL
	` + orderExtrasSQLiteSQL
}

// orderColCount is how many columns orderCols has.
var orderColCount = strings.Count(orderCols, ",") + 1

// scanAlso scans a row into a scanner's destinations followed by more.
type scanAlso struct {
	row  interface{ Scan(...any) error }
	more []any
}

func (s scanAlso) Scan(dest ...any) error { return s.row.Scan(append(dest, s.more...)...) }

// OrderExtras is what an order's view shows besides the order, each nil when it has none: its
// open time change request, its latest cancellation and its visit row.
type OrderExtras struct {
	Change       *model.ChangeRequest
	Cancellation *model.Cancellation
	Visit        *model.Visit
}

// OrderExtrasOf reads an order's OrderExtras in one statement (OpenChangeRequest,
// LatestCancellation and Visit each read one of them).
func (q *Queries) OrderExtrasOf(ctx context.Context, orderID string) (OrderExtras, error) {
	if q.dialect == SQLite {
		return q.orderExtrasSQLite(ctx, orderID)
	}
	var x OrderExtras
	var hasChange, hasCancellation, hasVisit bool
	var c model.ChangeRequest
	var cn model.Cancellation
	var v model.Visit
	err := scanJoined(q.q.QueryRowContext(ctx, orderExtrasSQL, orderID), []any{&hasChange, &hasCancellation, &hasVisit},
		func(row rowScanner) (err error) { c, err = scanChange(row); return err },
		func(row rowScanner) (err error) { cn, err = scanCancellation(row); return err },
		func(row rowScanner) (err error) { v, err = scanVisit(row); return err })
	if err != nil {
		return x, fmt.Errorf("store: order extras %s: %w", orderID, err)
	}
	if hasChange {
		x.Change = &c
	}
	if hasCancellation {
		x.Cancellation = &cn
	}
	if hasVisit {
		x.Visit = &v
	}
	return x, nil
}

var orderExtrasSQL = `SELECT cr.id IS NOT NULL, cn.id IS NOT NULL, v.order_id IS NOT NULL, ` +
	prefixed("cr.", changeCols) + `, ` + prefixed("cn.", cancellationCols) + `, ` + prefixed("v.", visitCols) + `
	FROM (SELECT CAST($1 AS TEXT) AS id) x
	LEFT JOIN change_requests cr ON cr.order_id = x.id AND cr.state IN ('pending','escalated')
	LEFT JOIN cancellations cn ON cn.id = (SELECT id FROM cancellations WHERE order_id = x.id ORDER BY created_at DESC, id DESC LIMIT 1)
	LEFT JOIN order_visits v ON v.order_id = x.id`

// orderExtrasSQLite reads the same in one statement on SQLite, whose columns need no common
// type: a row for each of the three the order has (none for those it has not), tagged 1, 2 or
// 3, each part's columns from the second on, padded with NULLs to the widest — 17 columns where
// the join has 48, nearly all NULL for an order without a change request or a cancellation,
// and each column costs the driver and database/sql an allocation or two per query.
func (q *Queries) orderExtrasSQLite(ctx context.Context, orderID string) (OrderExtras, error) {
	var x OrderExtras
	var vals [1 + orderExtrasWidth]any
	var dests [len(vals)]any
	for i := range vals {
		dests[i] = &vals[i]
	}
	// At most three rows by key: not worth a cancellable context (see dbQuerier.QueryRowContext).
	if ctx.Err() == nil {
		ctx = context.WithoutCancel(ctx)
	}
	err := queryEach(ctx, q.q, "order extras "+orderID, func(r rowScanner) error {
		if err := r.Scan(dests[:]...); err != nil {
			return err
		}
		return x.scanTagged(vals[0], valuesRow(vals[1:]))
	}, orderExtrasSQLiteSQL, orderID)
	return x, err
}

// scanTagged keeps one row of orderExtrasSQLiteSQL: tagged 1 (the change request), 2 (the
// cancellation) or 3 (the visit); the first of each.
func (x *OrderExtras) scanTagged(tag any, row valuesRow) error {
	switch tag, _ := tag.(int64); tag {
	case 1:
		c, err := scanChange(row)
		if err != nil || x.Change != nil {
			return err
		}
		x.Change = &c
	case 2:
		cn, err := scanCancellation(row)
		if err != nil || x.Cancellation != nil {
			return err
		}
		x.Cancellation = &cn
	case 3:
		v, err := scanVisit(row)
		if err != nil || x.Visit != nil {
			return err
		}
		x.Visit = &v
	}
	return nil
}

// orderExtrasWidth is the widest of the three parts (a cancellation's columns).
const orderExtrasWidth = 16

var orderExtrasSQLiteSQL = `SELECT 1, ` + padded(joinedCols(SQLite, "cr.", changeCols), orderExtrasWidth) + `
	FROM change_requests cr WHERE cr.order_id = $1 AND cr.state IN ('pending','escalated')
	UNION ALL
	SELECT 2, ` + padded(joinedCols(SQLite, "cn.", cancellationCols), orderExtrasWidth) + `
	FROM cancellations cn WHERE cn.id = (SELECT id FROM cancellations WHERE order_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1)
	UNION ALL
	SELECT 3, ` + padded(joinedCols(SQLite, "v.", visitCols), orderExtrasWidth) + `
	FROM order_visits v WHERE v.order_id = $1`

// padded is a select list of n columns: cols, then NULLs.
func padded(cols string, n int) string {
	if k := strings.Count(cols, ",") + 1; k > n {
		panic(fmt.Sprintf("store: %d columns, more than %d: %s", k, n, cols))
	} else {
		cols += strings.Repeat(", NULL", n-k)
	}
	return cols
}

// valuesRow scans values read before, as orNull does: a part of a row read whole.
type valuesRow []any

func (v valuesRow) Scan(dest ...any) error {
	if len(dest) > len(v) {
		return fmt.Errorf("store: %d destinations for %d values", len(dest), len(v))
	}
	for i, d := range dest {
		n := orNull{d}
		if err := n.Scan(v[i]); err != nil {
			return fmt.Errorf("column %d: %w", i, err)
		}
	}
	return nil
}
