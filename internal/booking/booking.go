// Package booking is the order lifecycle: booking, accept, assign, start, complete, time changes
// (E1), worker changes (E2), cancellations and refunds (E3), and the reminders that follow them
// (N2). Every step checks the caller, changes the order, tells the people concerned and moves the
// jobs in one transaction: nothing is told that did not happen, nothing that happened goes untold.
package booking

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/homebell/homebell/internal/jobs"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/observe"
	"github.com/homebell/homebell/internal/store"
)

// Actor is who asks: a person (customer, worker, operator) or the platform's backend.
type Actor struct {
	ID   string
	Role model.Role
	Name string
}

// isStaff reports whether the actor runs the platform (operators and the platform's service key).
func (a Actor) isStaff() bool { return a.Role == model.RoleOperator || a.Role == model.RolePlatform }

// Service runs the order lifecycle.
type Service struct {
	Store  *store.Store
	Jobs   *jobs.Runner
	Notify *notify.Service
	Now    func() time.Time
	// WorkerChanged, when set, runs in the transaction of every change of an order's worker
	// (accept, assign, reassign, withdraw) with the worker before it ("" for none): chat moves
	// the order's conversation to the new worker in the same commit (I1, E2).
	WorkerChanged func(ctx context.Context, tx *store.Tx, o model.Order, previousWorkerID string) error
	// HouseholdChanged, when set, runs in the transaction of every change of an order's watchers
	// or their rights (Y5): chat brings the order's conversation members in line.
	HouseholdChanged func(ctx context.Context, tx *store.Tx, o model.Order) error
	// Publish, when set, hands committed log entries to open streams (the hub).
	Publish func(events map[string][]model.Event)
	// Metrics count reminders fired and how late; nil counts nothing.
	Metrics *observe.Metrics

	failpoint atomic.Pointer[func(action string) error]
}

// SetFailpoint makes every following transaction fail with f's error just before it would
// commit (after the state change, notifications and jobs were written). Tests use it to prove
// that a failure leaves nothing behind; nil removes it.
func (s *Service) SetFailpoint(f func(action string) error) {
	if f == nil {
		s.failpoint.Store(nil)
		return
	}
	s.failpoint.Store(&f)
}

// write runs fn in one transaction, then the failpoint.
func (s *Service) write(ctx context.Context, action string, fn func(tx *store.Tx) error) error {
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if f := s.failpoint.Load(); f != nil {
			if err := (*f)(action); err != nil {
				return fmt.Errorf("booking: %s: %w", action, err)
			}
		}
		return nil
	})
}

// CreateInput is a new booking.
type CreateInput struct {
	CustomerID      string
	ServiceItemID   string
	Address         string
	Area            string
	AppointmentAt   time.Time
	Requirements    string
	AmountPaidCents *int64
}

// Create books a service for a customer (the customer themself, or the platform on their behalf).
func (s *Service) Create(ctx context.Context, a Actor, in CreateInput) (model.Order, error) {
	v, err := s.CreateView(ctx, a, in)
	return v.Order, err
}

// CreateView is Create answering with the new order's view, built from what its transaction read
// (the customer, the service item): a new order has no change request, cancellation, visit,
// photos or worker yet, so View would read nothing more that is there.
func (s *Service) CreateView(ctx context.Context, a Actor, in CreateInput) (_ OrderView, err error) {
	defer model.WrapOp(&err, "booking: create", "")
	switch a.Role {
	case model.RoleCustomer:
		in.CustomerID = a.ID
	case model.RolePlatform:
		if in.CustomerID == "" {
			return OrderView{}, model.Invalid(model.FieldError{Field: "customer_id", Message: "is required when the platform books"})
		}
	default:
		return OrderView{}, model.Errorf(model.CodeForbidden, "only customers (or the platform) book services")
	}
	var v OrderView
	err = s.write(ctx, "create", func(tx *store.Tx) error {
		customer, err := tx.Person(ctx, in.CustomerID)
		if model.IsCode(err, model.CodeNotFound) {
			return model.Invalid(model.FieldError{Field: "customer_id", Message: "no such person"})
		}
		if err != nil {
			return err
		}
		if customer.Role != model.RoleCustomer {
			return model.Invalid(model.FieldError{Field: "customer_id", Message: "is not a customer"})
		}
		item, err := tx.ServiceItem(ctx, in.ServiceItemID)
		if model.IsCode(err, model.CodeNotFound) || (err == nil && !item.Active) {
			return model.Invalid(model.FieldError{Field: "service_item_id", Message: "no such active service item"})
		}
		if err != nil {
			return err
		}
		o := model.Order{CustomerID: customer.ID, ServiceItemID: item.ID, Address: in.Address, Area: in.Area,
			AppointmentAt: in.AppointmentAt, Requirements: in.Requirements, AmountPaidCents: item.PriceCents,
			Status: model.OrderPending}
		if o.Area == "" {
			o.Area = customer.Area
		}
		if in.AmountPaidCents != nil {
			o.AmountPaidCents = *in.AmountPaidCents
		}
		if err := o.Validate(); err != nil {
			return err
		}
		if !o.AppointmentAt.After(tx.Now()) {
			return model.Invalid(model.FieldError{Field: "appointment_at", Message: "must be in the future"})
		}
		p, err := LoadPolicy(ctx, &tx.Queries)
		if err != nil {
			return err
		}
		if o.AppointmentAt.After(tx.Now().Add(p.bookAhead())) {
			return model.Invalid(model.FieldError{Field: "appointment_at", Message: fmt.Sprintf("may be at most %d days ahead", int(p.bookAhead().Hours()/24))})
		}
		if err := tx.InsertOrder(ctx, &o, tx.Now()); err != nil {
			return err
		}
		store.NoteCreated(ctx, o.ID) // a retry under the same Idempotency-Key answers with this order
		v = newView(o, item, customer)
		v.Photos = []model.OrderPhoto{}
		return s.event(ctx, tx, o, "created", a, map[string]any{"appointment_at": o.AppointmentAt})
	})
	return v, err
}

// event appends a line to the order's timeline.
func (s *Service) event(ctx context.Context, tx *store.Tx, o model.Order, typ string, a Actor, details map[string]any) error {
	raw, err := model.MarshalJSON(details)
	if err != nil {
		return fmt.Errorf("booking: event details: %w", err)
	}
	return tx.AppendOrderEvent(ctx, &model.OrderEvent{OrderID: o.ID, Type: typ, ActorID: a.ID, ActorRole: a.Role,
		Details: raw, CreatedAt: tx.Now()})
}

// system is the actor of timers (reminders, escalations).
var system = Actor{ID: "system", Role: "system"}

// canSee reports whether a may read the order: its customer, its current worker, workers while
// it is open, operators and the platform. A removed worker is no longer its worker.
func canSee(o model.Order, a Actor) bool {
	switch a.Role {
	case model.RoleOperator, model.RolePlatform:
		return true
	case model.RoleCustomer:
		return o.CustomerID == a.ID
	case model.RoleWorker:
		return o.WorkerID == a.ID || (o.WorkerID == "" && o.Status == model.OrderPending)
	}
	return false
}

// load reads an order the actor may see and act on; others get not_found (they may not know it
// exists), except its watchers (Y5), who know it and are told they may only follow it.
func (s *Service) load(ctx context.Context, q *store.Queries, a Actor, id string) (model.Order, error) {
	o, w, err := s.loadWatched(ctx, q, a, id)
	if err != nil {
		return o, err
	}
	if w != nil {
		return model.Order{}, model.Errorf(model.CodeForbidden, "you watch this order; only its customer changes it")
	}
	return o, nil
}

// isWorkerOf reports whether a is o's current worker.
func isWorkerOf(o model.Order, a Actor) bool { return a.Role == model.RoleWorker && o.WorkerID == a.ID }

// facts are what templates and cards need about an order.
type facts struct {
	item   model.ServiceItem
	worker model.Person // zero when there is none; its Rating is set (I2)
	vars   map[string]any
}

func (s *Service) factsOf(ctx context.Context, q *store.Queries, o model.Order) (facts, error) {
	return s.factsCached(ctx, q, o, nil, nil)
}

// factsCached is factsOf reading each service item and worker once per items and workers (one
// transaction of a bulk cancellation tells of many orders of few items and workers); nil maps
// keep nothing (one order's facts).
func (s *Service) factsCached(ctx context.Context, q *store.Queries, o model.Order, items map[string]model.ServiceItem, workers map[string]model.Person) (facts, error) {
	var f facts
	var err error
	var ok bool
	if f.item, ok = items[o.ServiceItemID]; !ok {
		if f.item, err = q.ServiceItem(ctx, o.ServiceItemID); err != nil {
			return f, err
		}
		if items != nil {
			items[o.ServiceItemID] = f.item
		}
	}
	if o.WorkerID != "" {
		if f.worker, ok = workers[o.WorkerID]; !ok {
			if f.worker, err = s.workerWithRating(ctx, q, o.WorkerID); err != nil {
				return f, err
			}
			if workers != nil {
				workers[o.WorkerID] = f.worker
			}
		}
	}
	f.vars = map[string]any{"item": f.item.Name, "address": o.Address, "appointment": o.AppointmentAt,
		"requirements": o.Requirements, "worker_name": f.worker.Name, "worker_bio": f.worker.Bio}
	return f, nil
}

// workerCard is the worker as the customer sees them (N1, E2), with their rating (I2).
func workerCard(p model.Person) map[string]any {
	card := map[string]any{"id": p.ID, "name": p.Name, "avatar_url": p.AvatarURL, "bio": p.Bio}
	if p.Rating != nil {
		card["rating"] = *p.Rating
	}
	return card
}

// workerWithRating reads a worker with their rating over visible reviews.
func (s *Service) workerWithRating(ctx context.Context, q *store.Queries, id string) (model.Person, error) {
	p, err := q.Person(ctx, id)
	if err != nil {
		return p, err
	}
	if p.Role == model.RoleWorker {
		r, err := q.WorkerRating(ctx, id)
		if err != nil {
			return p, err
		}
		p.Rating = &r
	}
	return p, nil
}

// Person returns a person with their rating when they are a worker (the people API shows it on
// their card).
func (s *Service) Person(ctx context.Context, id string) (_ model.Person, err error) {
	defer model.WrapOp(&err, "booking: person", id)
	return s.workerWithRating(ctx, &s.Store.Queries, id)
}

func customer(o model.Order) notify.Recipient {
	return notify.Recipient{PersonID: o.CustomerID, Audience: "customer"}
}

func worker(id string) notify.Recipient { return notify.Recipient{PersonID: id, Audience: "worker"} }

func withVars(base map[string]any, extra map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(extra))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// happening is a unique key for the transition that produced version v of an order.
func happening(o model.Order) string { return o.ID + ":v" + strconv.Itoa(o.Version) }

// tell tells ev's recipients and, when it tells an order's customer, the order's watchers (Y5).
func (s *Service) tell(ctx context.Context, tx *store.Tx, ev notify.Event) error {
	evs, err := s.withWatchers(ctx, &tx.Queries, ev)
	if err != nil {
		return err
	}
	for _, e := range evs {
		if _, err := s.Notify.Notify(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

// Accept: a worker takes an open order (N1). Of two workers accepting at once exactly one wins;
// the other gets a conflict.
func (s *Service) Accept(ctx context.Context, a Actor, id string) (model.Order, error) {
	return s.accept(ctx, a, id, nil)
}

// AcceptView is Accept answering with the order's view, built in its transaction (viewIn).
func (s *Service) AcceptView(ctx context.Context, a Actor, id string) (OrderView, error) {
	var v OrderView
	_, err := s.accept(ctx, a, id, &v)
	return v, err
}

func (s *Service) accept(ctx context.Context, a Actor, id string, view *OrderView) (_ model.Order, err error) {
	defer model.WrapOp(&err, "booking: accept", id)
	if a.Role != model.RoleWorker {
		return model.Order{}, model.Errorf(model.CodeForbidden, "only workers accept orders; operators assign them")
	}
	var o model.Order
	err = s.write(ctx, "accept", func(tx *store.Tx) error {
		// With the extras its answer shows: an accept changes none of them.
		st, again, err := tx.OrderActionStateEver(ctx, id)
		if o = st.Order; err != nil {
			return err
		}
		if o.WorkerID != "" && o.WorkerID != a.ID {
			if o.Status == model.OrderAccepted {
				return model.Errorf(model.CodeConflict, "another worker accepted this order first")
			}
			return model.Errorf(model.CodeNotFound, "order %q not found", id)
		}
		if o.Status == model.OrderAccepted && o.WorkerID == a.ID {
			return model.Errorf(model.CodeInvalidTransition, "you accepted this order already")
		}
		if err := checkTransition(o, ActAccept); err != nil {
			return err
		}
		// After a withdrawal the customer hears of a worker change rather than a first acceptance.
		kind := notify.KindOrderAccepted
		if again {
			kind = notify.KindWorkerChanged
		}
		o.WorkerID, o.Status = a.ID, model.OrderAccepted
		if err := tx.UpdateOrder(ctx, &o, tx.Now()); err != nil {
			return err
		}
		if err := s.event(ctx, tx, o, "accepted", a, map[string]any{"worker_id": a.ID}); err != nil {
			return err
		}
		if err := s.workerChanged(ctx, tx, o, ""); err != nil {
			return err
		}
		f, err := s.factsOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		if err := s.tell(ctx, tx, notify.Event{Kind: kind, Key: happening(o), OrderID: o.ID,
			Recipients: []notify.Recipient{customer(o)}, Vars: f.vars, ServiceStartsAt: o.AppointmentAt,
			Data: map[string]any{"worker": workerCard(f.worker), "appointment_at": o.AppointmentAt,
				"item": f.item.Name, "address": o.Address}}); err != nil {
			return err
		}
		if err := s.scheduleReminders(ctx, tx, o); err != nil || view == nil {
			return err
		}
		*view, err = s.viewIn(ctx, &tx.Queries, o, f, st.Extras)
		return err
	})
	return o, err
}

// Assign: an operator (or the platform) gives the order to a worker. When it had one, this is a
// worker change (E2): the customer gets the new worker's card, the new worker the arrangement,
// and the removed worker is told and loses access.
func (s *Service) Assign(ctx context.Context, a Actor, id, workerID, reason string) (_ model.Order, err error) {
	defer model.WrapOp(&err, "booking: assign", id)
	if !a.isStaff() {
		return model.Order{}, model.Errorf(model.CodeForbidden, "only operators assign workers")
	}
	var o model.Order
	err = s.write(ctx, "assign", func(tx *store.Tx) error {
		o0, hadWorker, err := tx.OrderEverAssigned(ctx, id)
		if o = o0; err != nil {
			return err
		}
		if err := checkTransition(o, ActAssign); err != nil {
			return err
		}
		w, err := tx.Person(ctx, workerID)
		if model.IsCode(err, model.CodeNotFound) || (err == nil && w.Role != model.RoleWorker) {
			return model.Invalid(model.FieldError{Field: "worker_id", Message: "is not a worker"})
		}
		if err != nil {
			return err
		}
		if o.WorkerID == workerID {
			return model.Errorf(model.CodeInvalidTransition, "the order is already assigned to %s", workerID)
		}
		old := o.WorkerID
		o.WorkerID, o.Status = workerID, model.OrderAccepted
		if err := tx.UpdateOrder(ctx, &o, tx.Now()); err != nil {
			return err
		}
		if err := s.event(ctx, tx, o, "assigned", a, map[string]any{"worker_id": workerID, "previous_worker_id": old, "reason": reason}); err != nil {
			return err
		}
		if err := s.workerChanged(ctx, tx, o, old); err != nil {
			return err
		}
		if old != "" {
			// A time change asked by or of the removed worker no longer stands.
			if err := s.closeOpenChange(ctx, tx, o); err != nil {
				return err
			}
		}
		f, err := s.factsOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		vars := withVars(f.vars, map[string]any{"reason": reason})
		data := map[string]any{"worker": workerCard(f.worker), "appointment_at": o.AppointmentAt, "item": f.item.Name, "address": o.Address}
		kind := notify.KindOrderAccepted
		if hadWorker {
			kind = notify.KindWorkerChanged
		}
		if err := s.tell(ctx, tx, notify.Event{Kind: kind, Key: happening(o), OrderID: o.ID,
			Recipients: []notify.Recipient{customer(o)}, Vars: vars, Data: data, ServiceStartsAt: o.AppointmentAt}); err != nil {
			return err
		}
		if err := s.tell(ctx, tx, notify.Event{Kind: notify.KindOrderAssigned, Key: happening(o), OrderID: o.ID,
			Recipients: []notify.Recipient{worker(workerID)}, Vars: vars, ServiceStartsAt: o.AppointmentAt,
			Data: map[string]any{"appointment_at": o.AppointmentAt, "item": f.item.Name, "address": o.Address,
				"requirements": o.Requirements}}); err != nil {
			return err
		}
		if old != "" {
			if err := s.tell(ctx, tx, notify.Event{Kind: notify.KindWorkerRemoved, Key: happening(o), OrderID: o.ID,
				Recipients: []notify.Recipient{worker(old)}, Vars: vars, ServiceStartsAt: o.AppointmentAt}); err != nil {
				return err
			}
		}
		return s.scheduleReminders(ctx, tx, o)
	})
	return o, err
}

// workerChanged runs the WorkerChanged hook, if any.
func (s *Service) workerChanged(ctx context.Context, tx *store.Tx, o model.Order, previous string) error {
	if s.WorkerChanged == nil {
		return nil
	}
	return s.WorkerChanged(ctx, tx, o, previous)
}

// Complete: the assigned worker (or the platform) confirms all agreed work is done (N3); the
// customer is told and invited to review. The completion may carry up to MaxPhotos
// proof-of-service photos (Y4), uploads of the order's worker; the customer's notice shows them.
func (s *Service) Complete(ctx context.Context, a Actor, id string, photos []PhotoInput) (model.Order, error) {
	return s.complete(ctx, a, id, photos, nil)
}

// CompleteView is Complete answering with the order's view, built in its transaction (viewIn).
func (s *Service) CompleteView(ctx context.Context, a Actor, id string, photos []PhotoInput) (OrderView, error) {
	var v OrderView
	_, err := s.complete(ctx, a, id, photos, &v)
	return v, err
}

func (s *Service) complete(ctx context.Context, a Actor, id string, photos []PhotoInput, view *OrderView) (_ model.Order, err error) {
	defer model.WrapOp(&err, "booking: complete", id)
	if err := checkPhotos(photos); err != nil {
		return model.Order{}, err
	}
	act, to, typ := ActComplete, model.OrderCompleted, "completed"
	var o model.Order
	err = s.write(ctx, string(act), func(tx *store.Tx) error {
		st, err := s.loadState(ctx, &tx.Queries, a, id)
		if o = st.Order; err != nil {
			return err
		}
		if !isWorkerOf(o, a) && a.Role != model.RolePlatform {
			return model.Errorf(model.CodeForbidden, "only the assigned worker (or the platform) may %s this order", act)
		}
		if err := checkTransition(o, act); err != nil {
			return err
		}
		shown := make([]model.OrderPhoto, 0, len(photos))
		for _, ph := range photos {
			f, err := tx.File(ctx, ph.FileID)
			if model.IsCode(err, model.CodeNotFound) || (err == nil && f.UploaderID != o.WorkerID) {
				return model.Invalid(model.FieldError{Field: "photos", Message: "each must be an image the order's worker uploaded (POST /v1/files)"})
			}
			if err != nil {
				return err
			}
			shown = append(shown, model.OrderPhoto{FileID: f.ID, Phase: ph.Phase, URL: "/v1/files/" + f.ID,
				ThumbnailURL: "/v1/files/" + f.ID + "/thumbnail", CreatedAt: tx.Now().UTC()})
		}
		o.Status = to
		if err := tx.UpdateOrder(ctx, &o, tx.Now()); err != nil {
			return err
		}
		if err := tx.AddOrderPhotos(ctx, o.ID, shown, tx.Now()); err != nil {
			return err
		}
		if err := s.event(ctx, tx, o, typ, a, map[string]any{"photos": len(shown)}); err != nil {
			return err
		}
		f, err := s.factsOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		// No reminder or visit timer to cancel: only Start puts an order in service (the only
		// state Complete leaves), and it cancelled them in its transaction; nothing schedules
		// them again in service (accept, assign and time changes are refused there).
		if err := s.closeOpenChangeIf(ctx, tx, o, st.OpenChange); err != nil {
			return err
		}
		if err := s.tell(ctx, tx, notify.Event{Kind: notify.KindServiceCompleted, Key: happening(o), OrderID: o.ID,
			Recipients: []notify.Recipient{customer(o)}, Vars: withVars(f.vars, map[string]any{"photos": len(shown)}),
			Data: map[string]any{"worker": workerCard(f.worker),
				"actions":     []map[string]any{{"type": "review", "order_id": o.ID}},
				"review_form": reviewForm(o.ID), "photos": shown}}); err != nil {
			return err
		}
		if view == nil {
			return nil
		}
		x := st.Extras // the visit as it was: a completion does not touch it
		if st.OpenChange {
			x.Change = nil // closeOpenChangeIf withdrew it
		}
		*view, err = s.viewIn(ctx, &tx.Queries, o, f, x)
		return err
	})
	return o, err
}
