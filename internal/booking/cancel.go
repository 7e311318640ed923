package booking

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

// mayCancel reports whether a may cancel (or quote cancelling) o: its customer, its worker, staff.
func mayCancel(o model.Order, a Actor) bool {
	return a.isStaff() || (a.Role == model.RoleCustomer && o.CustomerID == a.ID) || isWorkerOf(o, a)
}

// Quote tells what cancelling the order now would do about the money.
func (s *Service) Quote(ctx context.Context, a Actor, id string) (_ Quote, err error) {
	defer model.WrapOp(&err, "booking: quote", id)
	o, err := s.load(ctx, &s.Store.Queries, a, id)
	if err != nil {
		return Quote{}, err
	}
	if !mayCancel(o, a) {
		return Quote{}, model.Errorf(model.CodeForbidden, "only the order's parties and operators may cancel it")
	}
	p, err := LoadPolicy(ctx, &s.Store.Queries)
	if err != nil {
		return Quote{}, err
	}
	return QuoteRefund(p.Refund, o, a.Role, false, s.Now())
}

func checkReason(reason string) error {
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		return model.Invalid(model.FieldError{Field: "reason", Message: "is required, at most 500 characters"})
	}
	return nil
}

// Cancel cancels the order under the refund policy (E3): at once, or — for a customer cancelling
// late — once an operator approves.
func (s *Service) Cancel(ctx context.Context, a Actor, id, reason string) (_ model.Cancellation, err error) {
	defer model.WrapOp(&err, "booking: cancel", id)
	if err := checkReason(reason); err != nil {
		return model.Cancellation{}, err
	}
	var c model.Cancellation
	err = s.write(ctx, "cancel", func(tx *store.Tx) error {
		o, err := s.load(ctx, &tx.Queries, a, id)
		if err != nil {
			return err
		}
		if !mayCancel(o, a) {
			return model.Errorf(model.CodeForbidden, "only the order's parties and operators may cancel it")
		}
		if err := checkTransition(o, ActCancel); err != nil {
			return err
		}
		p, err := LoadPolicy(ctx, &tx.Queries)
		if err != nil {
			return err
		}
		q, err := QuoteRefund(p.Refund, o, a.Role, false, tx.Now())
		if err != nil {
			return err
		}
		c = model.Cancellation{OrderID: o.ID, RequesterID: a.ID, RequesterRole: a.Role, Reason: reason, Policy: q.Policy,
			RefundCents: q.RefundCents, FeeCents: q.FeeCents, RefundETA: q.RefundETA, CreatedAt: tx.Now()}
		if q.NeedsApproval {
			c.Status = model.CancellationPendingApproval
			if err := tx.InsertCancellation(ctx, &c); err != nil {
				return err
			}
			if err := s.event(ctx, tx, o, "cancellation_requested", a, map[string]any{"cancellation_id": c.ID, "reason": reason,
				"refund_cents": c.RefundCents}); err != nil {
				return err
			}
			f, err := s.factsOf(ctx, &tx.Queries, o)
			if err != nil {
				return err
			}
			ops, err := notify.Operators(ctx, &tx.Queries)
			if err != nil {
				return err
			}
			name := a.Name
			if pp, err := tx.Person(ctx, a.ID); err == nil {
				name = pp.Name
			}
			return s.tell(ctx, tx, notify.Event{Kind: notify.KindCancellationRequested, Key: c.ID, OrderID: o.ID, Recipients: ops,
				Vars: withVars(f.vars, map[string]any{"requester_name": name, "reason": reason}),
				Data: map[string]any{"cancellation": c, "actions": []map[string]any{
					{"type": "approve_cancellation", "order_id": o.ID}, {"type": "decline_cancellation", "order_id": o.ID}}}})
		}
		c.Status, c.DecidedBy, c.DecidedAt = model.CancellationApproved, a.ID, &c.CreatedAt
		if err := tx.InsertCancellation(ctx, &c); err != nil {
			return err
		}
		return s.finishCancel(ctx, tx, o, c, a)
	})
	return c, err
}

// finishCancel cancels the order for an approved cancellation and tells the customer, the worker
// (if any) and every operator the reason and the refund. The refund travels in the
// notification's data, which the platform's webhook receives.
func (s *Service) finishCancel(ctx context.Context, tx *store.Tx, o model.Order, c model.Cancellation, a Actor) error {
	f, err := s.factsOf(ctx, &tx.Queries, o)
	if err != nil {
		return err
	}
	ops, err := notify.Operators(ctx, &tx.Queries)
	if err != nil {
		return err
	}
	ev, err := s.cancelled(ctx, tx, o, c, a, f, ops)
	if err != nil {
		return err
	}
	return s.tell(ctx, tx, ev)
}

// cancelled cancels the order for an approved cancellation inside tx and returns what its
// customer, its worker and the operators ops are to be told.
func (s *Service) cancelled(ctx context.Context, tx *store.Tx, o model.Order, c model.Cancellation, a Actor, f facts, ops []notify.Recipient) (notify.Event, error) {
	o.Status = model.OrderCancelled
	if err := tx.UpdateOrder(ctx, &o, tx.Now()); err != nil {
		return notify.Event{}, err
	}
	if err := s.cancelReminders(ctx, tx, o.ID); err != nil {
		return notify.Event{}, err
	}
	if err := s.closeOpenChange(ctx, tx, o); err != nil {
		return notify.Event{}, err
	}
	if err := s.event(ctx, tx, o, "cancelled", a, cancelledDetails(c)); err != nil {
		return notify.Event{}, err
	}
	return cancelledEvent(o, c, f, ops), nil
}

// cancelledDetails is the line a cancellation adds to the order's timeline.
func cancelledDetails(c model.Cancellation) map[string]any {
	return map[string]any{"cancellation_id": c.ID, "reason": c.Reason, "policy": c.Policy, "refund_cents": c.RefundCents,
		"force_majeure": c.ForceMajeure}
}

// cancelledEvent is what the cancelled order o's customer, its worker and the operators ops are told.
func cancelledEvent(o model.Order, c model.Cancellation, f facts, ops []notify.Recipient) notify.Event {
	rcs := []notify.Recipient{customer(o)}
	if o.WorkerID != "" {
		rcs = append(rcs, worker(o.WorkerID))
	}
	refundStatus := "none"
	if c.RefundCents > 0 {
		refundStatus = "pending"
	}
	var eta any
	if c.RefundETA != nil {
		eta = *c.RefundETA
	}
	// A cancelled service that would have started before someone's window opens is told at once
	// (badge only): they would otherwise wait for a worker who is not coming.
	return notify.Event{Kind: notify.KindOrderCancelled, Key: c.ID, OrderID: o.ID, Recipients: append(rcs, ops...),
		ServiceStartsAt: o.AppointmentAt,
		Vars: withVars(f.vars, map[string]any{"reason": c.Reason, "refund": c.RefundCents > 0, "refund_cents": c.RefundCents,
			"refund_eta": eta}),
		Data: map[string]any{"cancellation_id": c.ID, "reason": c.Reason, "force_majeure": c.ForceMajeure,
			"refund": map[string]any{"amount_cents": c.RefundCents, "fee_cents": c.FeeCents, "eta": eta, "status": refundStatus,
				"policy": c.Policy}}}
}

// DecideCancellation approves or declines a cancellation awaiting an operator.
func (s *Service) DecideCancellation(ctx context.Context, a Actor, id string, approve bool, reason string) (_ model.Cancellation, err error) {
	defer model.WrapOp(&err, "booking: decide cancellation", id)
	if !a.isStaff() {
		return model.Cancellation{}, model.Errorf(model.CodeForbidden, "only operators decide cancellations")
	}
	if utf8.RuneCountInString(reason) > 500 {
		return model.Cancellation{}, model.Invalid(model.FieldError{Field: "reason", Message: "at most 500 characters"})
	}
	var c model.Cancellation
	err = s.write(ctx, "decide_cancellation", func(tx *store.Tx) error {
		o, err := tx.Order(ctx, id)
		if err != nil {
			return err
		}
		c, found, err := tx.LatestCancellation(ctx, o.ID)
		if err != nil {
			return err
		}
		if !found || c.Status != model.CancellationPendingApproval {
			return model.Errorf(model.CodeInvalidTransition, "the order has no cancellation awaiting approval")
		}
		now := tx.Now()
		c.DecidedBy, c.DecisionReason, c.DecidedAt = a.ID, reason, &now
		if approve {
			if err := checkTransition(o, ActCancel); err != nil {
				return err
			}
			c.Status = model.CancellationApproved
			if c.RefundCents > 0 {
				p, err := LoadPolicy(ctx, &tx.Queries)
				if err != nil {
					return err
				}
				eta := now.Add(time.Duration(p.Refund.RefundDays) * 24 * time.Hour).UTC()
				c.RefundETA = &eta
			}
			if err := tx.UpdateCancellation(ctx, &c, model.CancellationPendingApproval); err != nil {
				return err
			}
			return s.finishCancel(ctx, tx, o, c, a)
		}
		c.Status = model.CancellationDeclined
		if err := tx.UpdateCancellation(ctx, &c, model.CancellationPendingApproval); err != nil {
			return err
		}
		if err := s.event(ctx, tx, o, "cancellation_declined", a, map[string]any{"cancellation_id": c.ID, "reason": reason}); err != nil {
			return err
		}
		f, err := s.factsOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		rc := customer(o)
		if c.RequesterRole == model.RoleWorker {
			rc = worker(c.RequesterID)
		}
		return s.tell(ctx, tx, notify.Event{Kind: notify.KindCancellationDeclined, Key: c.ID, OrderID: o.ID,
			Recipients: []notify.Recipient{rc}, Vars: withVars(f.vars, map[string]any{"reason": reason}),
			Data: map[string]any{"cancellation": c}})
	})
	if err == nil {
		c, _, err = s.Store.LatestCancellation(ctx, id)
	}
	return c, err
}

// BulkResult is what a force-majeure cancellation did.
type BulkResult struct {
	Cancelled []string `json:"cancelled"`
	Skipped   []string `json:"skipped"` // already cancelled or completed: reported, not cancelled twice
}

// A bulk cancellation commits in chunks: the first is small, so the first customers are told
// within milliseconds of the request; each next one doubles, up to bulkChunkMax orders, so a large
// cancellation shares its commits and its set-based writes.
const (
	bulkChunkFirst = 16
	bulkChunkMax   = 200
)

// checkBulk checks who asks and what for a bulk cancellation; reason is nil for a preview.
func (s *Service) checkBulk(ctx context.Context, a Actor, area string, from, to time.Time, reason *string) error {
	if !a.isStaff() {
		return model.Errorf(model.CodeForbidden, "only operators cancel in bulk")
	}
	var v model.Validator
	v.Check(area != "", "area", "is required")
	v.Check(!from.IsZero() && !to.IsZero() && to.After(from), "to", "from and to are required (RFC 3339), to after from")
	if reason != nil {
		v.Check(*reason != "" && utf8.RuneCountInString(*reason) <= 500, "reason", "is required, at most 500 characters")
	}
	if err := v.Err(); err != nil {
		return err
	}
	p, err := LoadPolicy(ctx, &s.Store.Queries)
	if err != nil {
		return err
	}
	if to.Sub(from) > p.bulkRange() {
		return model.Invalid(model.FieldError{Field: "to", Message: fmt.Sprintf("one bulk cancellation covers at most %d days", int(p.bulkRange().Hours()/24))})
	}
	return nil
}

// BulkPreview is what a bulk cancellation would do now: how many active orders it would cancel,
// the first of them, and how many of the range's orders it would leave (already ended).
type BulkPreview struct {
	Count   int            `json:"count"`
	Orders  []BulkPreOrder `json:"orders"`
	Skipped int            `json:"skipped"`
}

// BulkPreOrder is one order a bulk cancellation would cancel, as the operator checks it.
type BulkPreOrder struct {
	ID            string            `json:"id"`
	Status        model.OrderStatus `json:"status"`
	AppointmentAt time.Time         `json:"appointment_at"`
	Address       string            `json:"address"`
	CustomerID    string            `json:"customer_id"`
	WorkerID      string            `json:"worker_id,omitempty"`
	ServiceItemID string            `json:"service_item_id"`
}

// bulkPreviewList is how many orders a preview lists (it counts them all).
const bulkPreviewList = 50

// PreviewBulk answers what CancelBulk would cancel now, changing nothing, so that an operator
// sees the count and the orders before confirming.
func (s *Service) PreviewBulk(ctx context.Context, a Actor, area string, from, to time.Time) (_ BulkPreview, err error) {
	defer model.WrapOp(&err, "booking: preview bulk", "")
	if err := s.checkBulk(ctx, a, area, from, to, nil); err != nil {
		return BulkPreview{}, err
	}
	out := BulkPreview{Orders: []BulkPreOrder{}}
	var afterAt time.Time
	afterID := ""
	for {
		part, err := s.Store.OrdersInAreaPage(ctx, area, from, to, afterAt, afterID, bulkChunkMax)
		if err != nil {
			return out, err
		}
		for _, o := range part {
			if !o.Status.Active() {
				out.Skipped++
				continue
			}
			out.Count++
			if len(out.Orders) < bulkPreviewList {
				out.Orders = append(out.Orders, BulkPreOrder{ID: o.ID, Status: o.Status, AppointmentAt: o.AppointmentAt,
					Address: o.Address, CustomerID: o.CustomerID, WorkerID: o.WorkerID, ServiceItemID: o.ServiceItemID})
			}
		}
		if len(part) < bulkChunkMax {
			return out, nil
		}
		afterAt, afterID = part[len(part)-1].AppointmentAt, part[len(part)-1].ID
	}
}

// CancelBulk cancels, for force majeure, every active order of an area with its appointment in
// [from, to), each with a full refund. It commits in chunks of orders (bulkChunkFirst growing to
// bulkChunkMax), each order wholly in one chunk, and each chunk's people are told when it commits.
// If a chunk fails, the chunks before it stay cancelled and the error is returned; retrying it
// cancels nothing twice (cancelled orders are reported as skipped).
func (s *Service) CancelBulk(ctx context.Context, a Actor, area string, from, to time.Time, reason string) (_ BulkResult, err error) {
	defer model.WrapOp(&err, "booking: cancel bulk", "")
	if err := s.checkBulk(ctx, a, area, from, to, &reason); err != nil {
		return BulkResult{}, err
	}
	out := BulkResult{Cancelled: []string{}, Skipped: []string{}}
	// Each chunk's orders are listed just before it (keyset paging), so the first chunk starts
	// without waiting for the whole list.
	var afterAt time.Time
	afterID := ""
	for size := bulkChunkFirst; ; size = min(2*size, bulkChunkMax) {
		part, err := s.Store.OrdersInAreaPage(ctx, area, from, to, afterAt, afterID, size)
		if err != nil {
			return out, err
		}
		if len(part) == 0 {
			return out, nil
		}
		ids := make([]string, len(part))
		for i, o := range part {
			ids[i] = o.ID
		}
		var res BulkResult
		err = s.write(ctx, "cancel_bulk", func(tx *store.Tx) error {
			res = BulkResult{}
			return s.cancelChunk(ctx, tx, a, ids, area, from, to, reason, &res)
		})
		if err != nil {
			return out, err
		}
		out.Cancelled = append(out.Cancelled, res.Cancelled...)
		out.Skipped = append(out.Skipped, res.Skipped...)
		if len(part) < size {
			return out, nil
		}
		afterAt, afterID = part[len(part)-1].AppointmentAt, part[len(part)-1].ID
	}
}

// cancelChunk cancels the orders ids of a bulk cancellation inside tx, reading them again (an
// order whose time or area changed since it was listed is left out; one no longer active is
// skipped), and tells everyone concerned. It is set-based: one statement for the whole chunk per
// kind of write (the orders, the overtaken late cancellations, the new cancellations, the
// reminders and visit timers, the open time changes and their escalations, the timeline lines),
// then notify.NotifyMany — each order's writes are what Cancel's finishCancel writes for it.
func (s *Service) cancelChunk(ctx context.Context, tx *store.Tx, a Actor, ids []string, area string, from, to time.Time, reason string, res *BulkResult) error {
	orders, err := tx.OrdersByIDsForUpdate(ctx, ids)
	if err != nil {
		return err
	}
	p, err := LoadPolicy(ctx, &tx.Queries)
	if err != nil {
		return err
	}
	now := tx.Now()
	var todo []string
	cs := map[string]*model.Cancellation{}
	for _, id := range ids {
		o, ok := orders[id]
		if !ok || o.Area != area || o.AppointmentAt.Before(from) || !o.AppointmentAt.Before(to) {
			continue
		}
		if !o.Status.Active() {
			res.Skipped = append(res.Skipped, o.ID)
			continue
		}
		q, err := QuoteRefund(p.Refund, o, a.Role, true, now)
		if err != nil {
			return err
		}
		cs[o.ID] = &model.Cancellation{ID: model.NewID(), OrderID: o.ID, RequesterID: a.ID, RequesterRole: a.Role, Reason: reason,
			ForceMajeure: true, Policy: q.Policy, RefundCents: q.RefundCents, RefundETA: q.RefundETA,
			Status: model.CancellationApproved, DecidedBy: a.ID, CreatedAt: now, DecidedAt: &now}
		todo = append(todo, o.ID)
	}
	if len(todo) == 0 {
		return nil
	}
	// A late cancellation still waiting for an operator is overtaken by this one.
	if _, err := tx.DeclinePendingCancellations(ctx, todo, a.ID, "force majeure", now); err != nil {
		return err
	}
	done, err := tx.CancelActiveOrders(ctx, todo, now)
	if err != nil {
		return err
	}
	if len(done) != len(todo) { // the orders are locked (PostgreSQL) or the writer is ours (SQLite)
		return model.Errorf(model.CodeConflict, "%d of %d orders were changed by someone else; retry", len(todo)-len(done), len(todo))
	}
	list := make([]*model.Cancellation, len(todo))
	keys := make([]string, 0, 4*len(todo))
	for i, id := range todo {
		list[i] = cs[id]
		keys = append(keys, ReminderKey(id, "customer"), ReminderKey(id, "worker"), VisitKey(id, "nudge"), VisitKey(id, "late"))
	}
	if err := tx.InsertCancellations(ctx, list); err != nil {
		return err
	}
	changes, err := tx.WithdrawOpenChanges(ctx, todo, "system", now)
	if err != nil {
		return err
	}
	for _, id := range changes {
		keys = append(keys, escalationKey(id))
	}
	if _, err := tx.CancelJobs(ctx, keys, now); err != nil {
		return err
	}
	evs := make([]*model.OrderEvent, len(todo))
	for i, id := range todo {
		raw, err := model.MarshalJSON(cancelledDetails(*cs[id]))
		if err != nil {
			return fmt.Errorf("booking: event details: %w", err)
		}
		evs[i] = &model.OrderEvent{OrderID: id, Type: "cancelled", ActorID: a.ID, ActorRole: a.Role, Details: raw, CreatedAt: now}
	}
	if err := tx.AppendOrderEvents(ctx, evs); err != nil {
		return err
	}
	ops, err := notify.Operators(ctx, &tx.Queries)
	if err != nil {
		return err
	}
	byID := make(map[string]model.Order, len(done))
	for _, o := range done {
		byID[o.ID] = o
	}
	items := map[string]model.ServiceItem{}
	workers := map[string]model.Person{}
	households := map[string][]model.Watcher{}
	var all []notify.Event
	for _, id := range todo {
		o := byID[id]
		f, err := s.factsCached(ctx, &tx.Queries, o, items, workers)
		if err != nil {
			return err
		}
		more, err := s.withWatchersCached(ctx, &tx.Queries, cancelledEvent(o, *cs[id], f, ops), households)
		if err != nil {
			return err
		}
		all = append(all, more...)
		res.Cancelled = append(res.Cancelled, id)
	}
	_, err = s.Notify.NotifyMany(ctx, tx, all)
	return err
}

// RefundSettled records that the platform paid the refund back, and tells the customer.
func (s *Service) RefundSettled(ctx context.Context, a Actor, id string) (_ model.Cancellation, err error) {
	defer model.WrapOp(&err, "booking: refund settled", id)
	if !a.isStaff() {
		return model.Cancellation{}, model.Errorf(model.CodeForbidden, "only the platform or operators report refunds")
	}
	var c model.Cancellation
	err = s.write(ctx, "refund_settled", func(tx *store.Tx) error {
		o, err := tx.Order(ctx, id)
		if err != nil {
			return err
		}
		var found bool
		if c, found, err = tx.LatestCancellation(ctx, o.ID); err != nil {
			return err
		}
		if !found || c.Status != model.CancellationApproved || c.RefundCents <= 0 {
			return model.Errorf(model.CodeInvalidTransition, "the order has no refund waiting to be settled")
		}
		now := tx.Now()
		c.Status, c.SettledAt = model.CancellationSettled, &now
		if err := tx.UpdateCancellation(ctx, &c, model.CancellationApproved); err != nil {
			return err
		}
		if err := s.event(ctx, tx, o, "refund_settled", a, map[string]any{"cancellation_id": c.ID, "refund_cents": c.RefundCents}); err != nil {
			return err
		}
		f, err := s.factsOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		return s.tell(ctx, tx, notify.Event{Kind: notify.KindRefundSettled, Key: c.ID, OrderID: o.ID,
			Recipients: []notify.Recipient{customer(o)}, Vars: withVars(f.vars, map[string]any{"refund_cents": c.RefundCents}),
			Data: map[string]any{"refund": map[string]any{"amount_cents": c.RefundCents, "status": "settled"}}})
	})
	return c, err
}
