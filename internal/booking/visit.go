package booking

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"math/big"
	"time"

	"github.com/homebell/homebell/internal/jobs"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

// The visit (Y4): the worker sets out with an arrival estimate, checks in at the door, starts
// with the start code the customer reads out (or an operator overrides), and completes with
// proof-of-service photos. Timers nudge a worker who has not set out and tell the operators
// when they still have not at the appointment.

// Job kinds of the visit; app wiring registers Service.RunVisitNudge, RunVisitLate, RunVisitETA
// and RunVisitOverdue.
const (
	JobVisitNudge = "booking.visit_nudge"
	JobVisitLate  = "booking.visit_late"
	// JobVisitETA tells the customer, when the slip gap ends, the estimate that slipped inside it.
	JobVisitETA = "booking.visit_eta"
	// JobVisitOverdue nudges a worker on the way whose own estimate passed without a check-in.
	JobVisitOverdue = "booking.visit_overdue"
)

// MaxPhotos is how many proof-of-service photos one completion may carry.
const MaxPhotos = 9

// VisitKey is the job key of an order's visit timer (what is "nudge" or "late").
func VisitKey(orderID, what string) string { return "visit-" + what + ":" + orderID }

// visitPayload is what a visit timer was scheduled for; like a reminder it re-reads the order
// and acts only if it still matches.
type visitPayload struct {
	OrderID       string    `json:"order_id"`
	WorkerID      string    `json:"worker_id"`
	AppointmentAt time.Time `json:"appointment_at"`
	// ETA is the estimate an overdue nudge was scheduled for (a newer one re-arms it).
	ETA *time.Time `json:"eta,omitempty"`
}

// visitTimers are the jobs that (re)schedule the nudge and the operators' notice of o, scheduled
// with the reminders (scheduleReminders: after every acceptance, assignment and time change).
func visitTimers(o model.Order, p Policy) []jobs.Planned {
	pl := visitPayload{OrderID: o.ID, WorkerID: o.WorkerID, AppointmentAt: o.AppointmentAt}
	return []jobs.Planned{
		{Kind: JobVisitNudge, Key: VisitKey(o.ID, "nudge"), RunAt: o.AppointmentAt.Add(-p.Visit.nudgeLead()), Payload: pl, MaxAttempts: 5},
		{Kind: JobVisitLate, Key: VisitKey(o.ID, "late"), RunAt: o.AppointmentAt, Payload: pl, MaxAttempts: 5},
	}
}

// visitOf is the visit of o's current worker (a fresh one when there is none, or the row is a
// previous worker's).
func visitOf(ctx context.Context, q *store.Queries, o model.Order) (model.Visit, error) {
	v, found, err := q.Visit(ctx, o.ID)
	if err != nil {
		return v, err
	}
	return visitFor(o, v, found), nil
}

// visitFor is visitOf once the order's visit row v was read (found: it exists).
func visitFor(o model.Order, v model.Visit, found bool) model.Visit {
	if !found || v.WorkerID != o.WorkerID {
		return model.Visit{OrderID: o.ID, WorkerID: o.WorkerID}
	}
	return v
}

// loadState is load with what the visit actions and the completion decide on besides the order
// (store.OrderActionStateOf), all read in one statement; its Visit is the current worker's (visitOf).
func (s *Service) loadState(ctx context.Context, q *store.Queries, a Actor, id string) (store.OrderActionState, error) {
	st, err := q.OrderActionStateOf(ctx, id)
	if err != nil {
		return st, err
	}
	o, w, err := s.watchedAs(ctx, q, a, st.Order)
	if err != nil {
		return store.OrderActionState{Order: o}, err
	}
	if w != nil {
		return store.OrderActionState{}, model.Errorf(model.CodeForbidden, "you watch this order; only its customer changes it")
	}
	st.Visit = visitFor(o, st.Visit, st.VisitFound)
	return st, nil
}

// setOut reports whether the worker has left for the door (on the way, or already there).
func setOut(v model.Visit) bool { return v.OnTheWayAt != nil || v.ArrivedAt != nil }

func ptr(t time.Time) *time.Time { t = t.UTC(); return &t }

// OnTheWay: the order's worker sets out, or gives a new arrival estimate. The customer is told
// the first time, and again only when the estimate slipped by more than the policy's margin
// since they were last told and not sooner than its gap after that: never a stream of updates.
// A slip inside the gap is held, and the estimate as it is when the gap ends is told then (if it
// still slips past the margin), so updates inside the gap coalesce into one notice. From then on
// the worker is nudged relative to their own estimate, not the appointment: once it is past by
// the margin without a check-in (RunVisitOverdue).
// The estimate is eta, or minutes from now when minutes > 0.
func (s *Service) OnTheWay(ctx context.Context, a Actor, id string, eta time.Time, minutes int) (_ model.Order, err error) {
	defer model.WrapOp(&err, "booking: on the way", id)
	var o model.Order
	err = s.write(ctx, "on_the_way", func(tx *store.Tx) error {
		var err error
		if o, err = s.load(ctx, &tx.Queries, a, id); err != nil {
			return err
		}
		if !isWorkerOf(o, a) {
			return model.Errorf(model.CodeForbidden, "only the order's worker sets out for it")
		}
		if o.Status != model.OrderAccepted {
			return model.Errorf(model.CodeInvalidTransition, "cannot set out for an order that is %s", o.Status)
		}
		now := tx.Now()
		if minutes > 0 {
			eta = now.Add(time.Duration(minutes) * time.Minute)
		}
		if !eta.After(now) || eta.After(now.Add(24*time.Hour)) {
			return model.Invalid(model.FieldError{Field: "eta", Message: "must be in the next 24 hours"})
		}
		p, err := LoadPolicy(ctx, &tx.Queries)
		if err != nil {
			return err
		}
		v, err := visitOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		if v.ArrivedAt != nil {
			return model.Errorf(model.CodeInvalidTransition, "you checked in already")
		}
		first := v.OnTheWayAt == nil
		slipped := !first && eta.Sub(*v.ToldETA) > p.Visit.slipMargin()
		var gapEnds time.Time
		if !first {
			gapEnds = v.ToldAt.Add(p.Visit.slipGap())
		}
		tell := first || (slipped && !now.Before(gapEnds))
		v.ETA = ptr(eta)
		if first {
			v.OnTheWayAt = ptr(now)
		}
		typ := "eta_updated"
		if first {
			typ = "on_the_way"
		}
		var previous time.Time
		if v.ToldETA != nil {
			previous = *v.ToldETA
		}
		if tell {
			v.ToldETA, v.ToldAt = ptr(eta), ptr(now)
		}
		if err := tx.PutVisit(ctx, &v, now); err != nil {
			return err
		}
		details := map[string]any{"eta": eta.UTC(), "customer_told": tell}
		pl := visitPayload{OrderID: o.ID, WorkerID: o.WorkerID, AppointmentAt: o.AppointmentAt}
		if slipped && !tell {
			// Held: the estimate as it is when the gap ends is told then.
			details["customer_told_at"] = gapEnds.UTC()
			if err := s.Jobs.Schedule(ctx, tx, JobVisitETA, VisitKey(o.ID, "eta"), gapEnds, pl, 5); err != nil {
				return err
			}
		}
		pl.ETA = ptr(eta)
		if err := s.Jobs.Schedule(ctx, tx, JobVisitOverdue, VisitKey(o.ID, "overdue"), eta.Add(p.Visit.slipMargin()), pl, 5); err != nil {
			return err
		}
		if err := s.event(ctx, tx, o, typ, a, details); err != nil {
			return err
		}
		if !tell {
			return nil
		}
		return s.tellOnTheWay(ctx, tx, o, eta, previous, !first)
	})
	return o, err
}

// tellOnTheWay tells the customer (and the order's watchers) the worker's estimate: the first
// one, or one that slipped from previous, the estimate they were last told.
func (s *Service) tellOnTheWay(ctx context.Context, tx *store.Tx, o model.Order, eta, previous time.Time, slipped bool) error {
	f, err := s.factsOf(ctx, &tx.Queries, o)
	if err != nil {
		return err
	}
	vars := withVars(f.vars, map[string]any{"eta": eta, "slipped": slipped, "previous_eta": previous})
	return s.tell(ctx, tx, notify.Event{Kind: notify.KindVisitOnTheWay, Key: o.ID + ":" + o.WorkerID + ":eta:" + eta.UTC().Format(time.RFC3339),
		OrderID: o.ID, Recipients: []notify.Recipient{customer(o)}, Vars: vars, ServiceStartsAt: o.AppointmentAt,
		Data: map[string]any{"eta": eta.UTC(), "slipped": slipped, "worker": workerCard(f.worker)}})
}

// onTheWayTimer runs fn for a timer of a worker on the way (JobVisitETA, JobVisitOverdue) when it
// still matches: the order accepted with the same worker, who set out and has not checked in.
func (s *Service) onTheWayTimer(ctx context.Context, j model.Job, fn func(tx *store.Tx, o model.Order, v model.Visit, pl visitPayload, p Policy) error) error {
	return s.runVisitTimer(ctx, j, func(_ model.Order, v model.Visit, _ visitPayload) bool {
		return v.OnTheWayAt != nil && v.ArrivedAt == nil && v.ETA != nil && v.ToldETA != nil
	}, fn)
}

// RunVisitETA is the handler of JobVisitETA: the slip gap after the customer was last told has
// ended; if the estimate now slips past the margin from what they were told, they are told the
// estimate as it is now (one notice for every update inside the gap).
func (s *Service) RunVisitETA(ctx context.Context, j model.Job) (err error) {
	defer model.WrapOp(&err, "booking: run visit ETA", j.ID)
	return s.onTheWayTimer(ctx, j, func(tx *store.Tx, o model.Order, v model.Visit, _ visitPayload, p Policy) error {
		now := tx.Now()
		if v.ETA.Sub(*v.ToldETA) <= p.Visit.slipMargin() {
			return nil // back within the margin: nothing to tell
		}
		if now.Before(v.ToldAt.Add(p.Visit.slipGap())) {
			return nil // told meanwhile; a later slip schedules its own
		}
		previous, eta := *v.ToldETA, *v.ETA
		v.ToldETA, v.ToldAt = ptr(eta), ptr(now)
		if err := tx.PutVisit(ctx, &v, now); err != nil {
			return err
		}
		if err := s.event(ctx, tx, o, "eta_told", system, map[string]any{"eta": eta.UTC(), "previous_eta": previous.UTC()}); err != nil {
			return err
		}
		return s.tellOnTheWay(ctx, tx, o, eta, previous, true)
	})
}

// RunVisitOverdue is the handler of JobVisitOverdue: the worker's own estimate passed by the slip
// margin and they have not checked in; they are nudged once per estimate, relative to it (a worker
// on the way is never nudged as if they had not set out), while the visit can still start.
func (s *Service) RunVisitOverdue(ctx context.Context, j model.Job) (err error) {
	defer model.WrapOp(&err, "booking: run visit overdue", j.ID)
	return s.onTheWayTimer(ctx, j, func(tx *store.Tx, o model.Order, v model.Visit, pl visitPayload, p Policy) error {
		if pl.ETA == nil || !v.ETA.Equal(*pl.ETA) {
			return nil // a newer estimate re-armed it
		}
		now := tx.Now()
		if _, until := p.Visit.StartWindow(o.AppointmentAt); now.After(until) {
			return nil
		}
		eta := *v.ETA
		if err := s.event(ctx, tx, o, "worker_nudged", system, map[string]any{"eta": eta.UTC()}); err != nil {
			return err
		}
		f, err := s.factsOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		return s.tell(ctx, tx, notify.Event{Kind: notify.KindVisitNudge, Key: o.ID + ":" + o.WorkerID + ":nudge-eta:" + eta.UTC().Format(time.RFC3339),
			OrderID: o.ID, Recipients: []notify.Recipient{worker(o.WorkerID)}, Vars: withVars(f.vars, map[string]any{"eta": eta}),
			ServiceStartsAt: o.AppointmentAt,
			Data: map[string]any{"appointment_at": o.AppointmentAt, "address": o.Address, "eta": eta.UTC(),
				"actions": []map[string]any{{"type": "on_the_way", "order_id": o.ID}}}})
	})
}

// newStartCode is a 4-digit code the customer reads out to the worker at the door.
func newStartCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(10000))
	if err != nil {
		return "", fmt.Errorf("booking: start code: %w", err)
	}
	return fmt.Sprintf("%04d", n.Int64()), nil
}

// CheckIn: the order's worker is at the door, within the start window. The customer is told
// "arrived" with the start code, which the worker then types in to start.
func (s *Service) CheckIn(ctx context.Context, a Actor, id string) (model.Order, error) {
	return s.checkIn(ctx, a, id, nil)
}

// CheckInView is CheckIn answering with the order's view, built in its transaction (viewIn).
func (s *Service) CheckInView(ctx context.Context, a Actor, id string) (OrderView, error) {
	var v OrderView
	_, err := s.checkIn(ctx, a, id, &v)
	return v, err
}

func (s *Service) checkIn(ctx context.Context, a Actor, id string, view *OrderView) (_ model.Order, err error) {
	defer model.WrapOp(&err, "booking: check in", id)
	var o model.Order
	err = s.write(ctx, "check_in", func(tx *store.Tx) error {
		st, err := s.loadState(ctx, &tx.Queries, a, id)
		if o = st.Order; err != nil {
			return err
		}
		v := st.Visit
		if !isWorkerOf(o, a) {
			return model.Errorf(model.CodeForbidden, "only the order's worker checks in")
		}
		if o.Status != model.OrderAccepted {
			return model.Errorf(model.CodeInvalidTransition, "cannot check in to an order that is %s", o.Status)
		}
		p, err := LoadPolicy(ctx, &tx.Queries)
		if err != nil {
			return err
		}
		now := tx.Now()
		if err := checkStartWindow(p, o, now, "check in"); err != nil {
			return err
		}
		if v.ArrivedAt != nil {
			return model.Errorf(model.CodeInvalidTransition, "you checked in already")
		}
		if v.StartCode, err = newStartCode(); err != nil {
			return err
		}
		v.ArrivedAt, v.CodeFailures = ptr(now), 0
		if err := tx.PutVisit(ctx, &v, now); err != nil {
			return err
		}
		// The code is in the customer's notice only: the trail is readable by the worker.
		if err := s.event(ctx, tx, o, "checked_in", a, map[string]any{"on_the_way": v.OnTheWayAt != nil}); err != nil {
			return err
		}
		f, err := s.factsOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		if err := s.tell(ctx, tx, notify.Event{Kind: notify.KindVisitArrived, Key: happening(o) + ":" + o.WorkerID + ":arrived",
			OrderID: o.ID, Recipients: []notify.Recipient{customer(o)}, ServiceStartsAt: o.AppointmentAt,
			Vars: withVars(f.vars, map[string]any{"start_code": v.StartCode}),
			Data: map[string]any{"start_code": v.StartCode, "worker": workerCard(f.worker)}}); err != nil {
			return err
		}
		if view == nil {
			return nil
		}
		x := st.Extras
		x.Visit = storedVisit(v)
		*view, err = s.viewIn(ctx, &tx.Queries, o, f, x)
		return err
	})
	return o, err
}

// StartInput is how a start is proven: the start code (the order's worker, after check-in), or
// an operator's override with its reason (operators and the platform).
type StartInput struct {
	Code           string
	OverrideReason string
}

// Start begins the service, within the start window around the appointment. The order's worker
// must have checked in and type the start code the customer was shown; wrong codes are counted
// and logged, and after the policy's attempts only an operator can start it. Operators (and the
// platform) start without the code by an override with a reason, recorded in the trail.
func (s *Service) Start(ctx context.Context, a Actor, id string, in StartInput) (model.Order, error) {
	return s.start(ctx, a, id, in, nil)
}

// StartView is Start answering with the order's view, built in its transaction (viewIn).
func (s *Service) StartView(ctx context.Context, a Actor, id string, in StartInput) (OrderView, error) {
	var v OrderView
	_, err := s.start(ctx, a, id, in, &v)
	return v, err
}

func (s *Service) start(ctx context.Context, a Actor, id string, in StartInput, view *OrderView) (_ model.Order, err error) {
	defer model.WrapOp(&err, "booking: start", id)
	var o model.Order
	var refused error // a wrong code: its count commits, then the caller is told
	err = s.write(ctx, string(ActStart), func(tx *store.Tx) error {
		st, err := s.loadState(ctx, &tx.Queries, a, id)
		if o = st.Order; err != nil {
			return err
		}
		v := st.Visit
		worker := isWorkerOf(o, a)
		if !worker && !a.isStaff() {
			return model.Errorf(model.CodeForbidden, "only the assigned worker (or an operator's override) may start this order")
		}
		if err := checkTransition(o, ActStart); err != nil {
			return err
		}
		if worker && in.Code == "" {
			return model.Invalid(model.FieldError{Field: "code", Message: "is required: the start code the customer was shown at your check-in"})
		}
		if !worker && in.OverrideReason == "" {
			return model.Invalid(model.FieldError{Field: "override_reason", Message: "is required: starting without the customer's code is an override, recorded with its reason"})
		}
		p, err := LoadPolicy(ctx, &tx.Queries)
		if err != nil {
			return err
		}
		now := tx.Now()
		if err := checkStartWindow(p, o, now, "start"); err != nil {
			return err
		}
		details := map[string]any{}
		if worker {
			if v.ArrivedAt == nil {
				return model.Errorf(model.CodeInvalidTransition, "check in at the door first (POST /v1/orders/%s/check-in): the customer is then shown the start code", o.ID)
			}
			max := p.Visit.codeAttempts()
			if v.CodeFailures >= max {
				return model.Errorf(model.CodeStartCodeLocked, "%d wrong start codes: only an operator can start this order now", v.CodeFailures)
			}
			if subtle.ConstantTimeCompare([]byte(in.Code), []byte(v.StartCode)) != 1 {
				v.CodeFailures++
				if err := tx.PutVisit(ctx, &v, now); err != nil {
					return err
				}
				left := max - v.CodeFailures
				if err := s.event(ctx, tx, o, "start_code_wrong", a, map[string]any{"failures": v.CodeFailures, "left": left}); err != nil {
					return err
				}
				if left > 0 {
					refused = &model.Error{Code: model.CodeStartCodeWrong, Message: fmt.Sprintf("wrong start code; %d attempts left", left)}
					return nil
				}
				refused = model.Errorf(model.CodeStartCodeLocked, "%d wrong start codes: only an operator can start this order now", v.CodeFailures)
				return s.tellOperatorsOfVisit(ctx, tx, o, "start_code_locked")
			}
			details["by"] = "start_code"
		} else {
			v.OverrideBy, v.OverrideReason = a.ID, in.OverrideReason
			details["by"] = "override"
			details["reason"] = in.OverrideReason
		}
		v.StartedAt = ptr(now)
		if err := tx.PutVisit(ctx, &v, now); err != nil {
			return err
		}
		o.Status = model.OrderInService
		if err := tx.UpdateOrder(ctx, &o, now); err != nil {
			return err
		}
		if err := s.event(ctx, tx, o, "started", a, details); err != nil {
			return err
		}
		if err := s.cancelReminders(ctx, tx, o.ID); err != nil {
			return err
		}
		if err := s.closeOpenChangeIf(ctx, tx, o, st.OpenChange); err != nil {
			return err
		}
		f, err := s.factsOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		if err := s.tell(ctx, tx, notify.Event{Kind: notify.KindServiceStarted, Key: happening(o), OrderID: o.ID,
			Recipients: []notify.Recipient{customer(o)}, Vars: withVars(f.vars, map[string]any{"override": !worker})}); err != nil {
			return err
		}
		if view == nil {
			return nil
		}
		x := st.Extras
		x.Visit = storedVisit(v)
		if st.OpenChange {
			x.Change = nil // closeOpenChangeIf withdrew it
		}
		*view, err = s.viewIn(ctx, &tx.Queries, o, f, x)
		return err
	})
	if err == nil && refused != nil {
		return model.Order{}, refused
	}
	return o, err
}

// storedVisit is v as PutVisit stored it and a read returns it: its times in UTC, to the microsecond.
func storedVisit(v model.Visit) *model.Visit {
	for _, t := range []**time.Time{&v.OnTheWayAt, &v.ETA, &v.ToldETA, &v.ToldAt, &v.NudgedAt, &v.LateFor, &v.ArrivedAt, &v.StartedAt} {
		if *t != nil {
			u := (*t).UTC().Truncate(time.Microsecond)
			*t = &u
		}
	}
	v.UpdatedAt = v.UpdatedAt.UTC().Truncate(time.Microsecond)
	return &v
}

// PhotoInput is one proof-of-service photo given at completion.
type PhotoInput struct {
	FileID string
	Phase  string // after (default) or before
}

func checkPhotos(photos []PhotoInput) error {
	if len(photos) > MaxPhotos {
		return model.Invalid(model.FieldError{Field: "photos", Message: fmt.Sprintf("at most %d", MaxPhotos)})
	}
	seen := map[string]bool{}
	after := false
	for i := range photos {
		if photos[i].Phase == "" {
			photos[i].Phase = model.PhotoAfter
		}
		field := fmt.Sprintf("photos[%d]", i)
		if photos[i].Phase != model.PhotoAfter && photos[i].Phase != model.PhotoBefore {
			return model.Invalid(model.FieldError{Field: field + ".phase", Message: "must be after or before"})
		}
		if !model.ValidID(photos[i].FileID) || seen[photos[i].FileID] {
			return model.Invalid(model.FieldError{Field: field + ".file_id", Message: "must name a distinct image (POST /v1/files)"})
		}
		seen[photos[i].FileID] = true
		after = after || photos[i].Phase == model.PhotoAfter
	}
	if len(photos) > 0 && !after {
		return model.Invalid(model.FieldError{Field: "photos", Message: "need at least one photo of the finished work (phase after)"})
	}
	return nil
}

// tellOperatorsOfVisit tells every operator that a visit needs them (the worker had not set out
// at the appointment, or used up the start codes); the approvals board lists it until it is
// settled.
func (s *Service) tellOperatorsOfVisit(ctx context.Context, tx *store.Tx, o model.Order, reason string) error {
	ops, err := notify.Operators(ctx, &tx.Queries)
	if err != nil {
		return err
	}
	f, err := s.factsOf(ctx, &tx.Queries, o)
	if err != nil {
		return err
	}
	if err := s.event(ctx, tx, o, "operators_told", system, map[string]any{"reason": reason}); err != nil {
		return err
	}
	return s.tell(ctx, tx, notify.Event{Kind: notify.KindVisitException, Key: o.ID + ":" + o.WorkerID + ":" + reason + ":" + o.AppointmentAt.UTC().Format(time.RFC3339),
		OrderID: o.ID, Recipients: ops, Vars: withVars(f.vars, map[string]any{"reason": reason}),
		Data: map[string]any{"reason": reason, "appointment_at": o.AppointmentAt, "worker": workerCard(f.worker)}})
}

// visitTimer runs fn for a visit timer's order when the timer still matches it: accepted, the
// same worker and appointment, and the worker has not set out.
func (s *Service) visitTimer(ctx context.Context, j model.Job, fn func(tx *store.Tx, o model.Order, v model.Visit, p Policy) error) error {
	return s.runVisitTimer(ctx, j, func(o model.Order, v model.Visit, pl visitPayload) bool {
		return o.AppointmentAt.Equal(pl.AppointmentAt) && !setOut(v)
	}, func(tx *store.Tx, o model.Order, v model.Visit, _ visitPayload, p Policy) error {
		return fn(tx, o, v, p)
	})
}

// runVisitTimer is the frame of every visit timer's handler: in one transaction that also
// completes the job, it loads the timer's order and visit and runs fn with the policy when the
// order is still accepted by the timer's worker and matches says the rest still holds; a timer
// that no longer matches (the order moved on since it was scheduled) ends doing nothing.
func (s *Service) runVisitTimer(ctx context.Context, j model.Job, matches func(o model.Order, v model.Visit, pl visitPayload) bool,
	fn func(tx *store.Tx, o model.Order, v model.Visit, pl visitPayload, p Policy) error) error {
	var pl visitPayload
	if err := json.Unmarshal(j.Payload, &pl); err != nil {
		return fmt.Errorf("booking: visit timer payload: %w", err)
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := jobs.Complete(ctx, tx); err != nil {
			return err
		}
		o, err := tx.Order(ctx, pl.OrderID)
		if model.IsCode(err, model.CodeNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if o.Status != model.OrderAccepted || o.WorkerID == "" || o.WorkerID != pl.WorkerID {
			return nil
		}
		v, err := visitOf(ctx, &tx.Queries, o)
		if err != nil || !matches(o, v, pl) {
			return err
		}
		p, err := LoadPolicy(ctx, &tx.Queries)
		if err != nil {
			return err
		}
		return fn(tx, o, v, pl, p)
	})
}

// RunVisitNudge is the handler of JobVisitNudge: the worker has not set out a while before the
// appointment; they are nudged once.
func (s *Service) RunVisitNudge(ctx context.Context, j model.Job) (err error) {
	defer model.WrapOp(&err, "booking: run visit nudge", j.ID)
	return s.visitTimer(ctx, j, func(tx *store.Tx, o model.Order, v model.Visit, p Policy) error {
		now := tx.Now()
		if !now.Before(o.AppointmentAt) {
			return nil // the operators' notice is due instead
		}
		v.NudgedAt = ptr(now)
		if err := tx.PutVisit(ctx, &v, now); err != nil {
			return err
		}
		if err := s.event(ctx, tx, o, "worker_nudged", system, nil); err != nil {
			return err
		}
		f, err := s.factsOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		return s.tell(ctx, tx, notify.Event{Kind: notify.KindVisitNudge, Key: o.ID + ":" + o.WorkerID + ":nudge:" + o.AppointmentAt.UTC().Format(time.RFC3339),
			OrderID: o.ID, Recipients: []notify.Recipient{worker(o.WorkerID)}, Vars: f.vars, ServiceStartsAt: o.AppointmentAt,
			Data: map[string]any{"appointment_at": o.AppointmentAt, "address": o.Address,
				"actions": []map[string]any{{"type": "on_the_way", "order_id": o.ID}}}})
	})
}

// RunVisitLate is the handler of JobVisitLate: at the appointment the worker still has not set
// out; the operators are told, and the approvals board lists the order until it is settled
// (the worker sets out, an operator reassigns, moves or cancels it).
func (s *Service) RunVisitLate(ctx context.Context, j model.Job) (err error) {
	defer model.WrapOp(&err, "booking: run visit late", j.ID)
	return s.visitTimer(ctx, j, func(tx *store.Tx, o model.Order, v model.Visit, p Policy) error {
		v.LateFor = ptr(o.AppointmentAt)
		if err := tx.PutVisit(ctx, &v, tx.Now()); err != nil {
			return err
		}
		return s.tellOperatorsOfVisit(ctx, tx, o, "not_on_the_way")
	})
}

// skipReminder reports whether o's reminder is pointless: its worker is on the way or there.
func skipReminder(ctx context.Context, q *store.Queries, o model.Order) (bool, error) {
	v, err := visitOf(ctx, q, o)
	return setOut(v), err
}

// VisitView is the visit as an order's page shows it. StartCode is filled in for the order's
// customer only, between check-in and start.
type VisitView struct {
	model.Visit
	State      string `json:"state"` // on_the_way, arrived, started
	StartCode  string `json:"start_code,omitempty"`
	CodeLocked bool   `json:"code_locked"`
}

// visitViewOf is the current worker's visit as the order's view shows it, and the order's photos,
// once the order's visit row was read (nil: it has none; store.OrderExtrasOf).
func (s *Service) visitViewOf(ctx context.Context, q *store.Queries, o model.Order, row *model.Visit) (*VisitView, []model.OrderPhoto, error) {
	photos := []model.OrderPhoto{}
	if o.Status == model.OrderCompleted || o.Status == model.OrderCancelled {
		// Photos come with the completion (Complete): an open order has none to read.
		var err error
		if photos, err = q.OrderPhotos(ctx, o.ID); err != nil {
			return nil, nil, err
		}
	}
	if o.WorkerID == "" || row == nil || row.WorkerID != o.WorkerID {
		return nil, photos, nil
	}
	v := *row
	p, err := LoadPolicy(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	vv := &VisitView{Visit: v, CodeLocked: v.CodeFailures >= p.Visit.codeAttempts()}
	switch {
	case v.StartedAt != nil:
		vv.State = "started"
	case v.ArrivedAt != nil:
		vv.State = "arrived"
	case v.OnTheWayAt != nil:
		vv.State = "on_the_way"
	}
	return vv, photos, nil
}

// VisitException is an order waiting on an operator because of its visit (Y4).
type VisitException struct {
	OrderID       string     `json:"order_id"`
	WorkerID      string     `json:"worker_id"`
	WorkerName    string     `json:"worker_name"`
	AppointmentAt time.Time  `json:"appointment_at"`
	Item          model.Text `json:"item"`
	Address       string     `json:"address"`
	Reason        string     `json:"reason"` // not_on_the_way or start_code_locked
	NudgedAt      *time.Time `json:"nudged_at"`
	CodeFailures  int        `json:"code_failures"`
}

func (s *Service) visitExceptions(ctx context.Context) ([]VisitException, error) {
	p, err := LoadPolicy(ctx, &s.Store.Queries)
	if err != nil {
		return nil, err
	}
	vs, err := s.Store.VisitExceptions(ctx, p.Visit.codeAttempts(), 200)
	if err != nil {
		return nil, err
	}
	out := []VisitException{}
	for _, v := range vs {
		o, err := s.Store.Order(ctx, v.OrderID)
		if err != nil {
			return nil, err
		}
		f, err := s.factsOf(ctx, &s.Store.Queries, o)
		if err != nil {
			return nil, err
		}
		reason := "not_on_the_way"
		if v.CodeFailures >= p.Visit.codeAttempts() {
			reason = "start_code_locked"
		}
		out = append(out, VisitException{OrderID: o.ID, WorkerID: o.WorkerID, WorkerName: f.worker.Name, AppointmentAt: o.AppointmentAt,
			Item: f.item.Name, Address: o.Address, Reason: reason, NudgedAt: v.NudgedAt, CodeFailures: v.CodeFailures})
	}
	return out, nil
}

// MayReadVisitPhoto is the files access rule for proof-of-service photos (Y4): the order's
// customer, its watchers (Y5), its current worker and operators. Unknown people and anything in
// doubt: false.
func (s *Service) MayReadVisitPhoto(ctx context.Context, personID, fileID string) (_ bool, err error) {
	defer model.WrapOp(&err, "booking: may read visit photo", fileID)
	ids, err := s.Store.OrdersShowingPhoto(ctx, fileID)
	if err != nil || len(ids) == 0 {
		return false, err
	}
	p, err := s.Store.Person(ctx, personID)
	if model.IsCode(err, model.CodeNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	a := Actor{ID: p.ID, Role: p.Role}
	for _, id := range ids {
		o, err := s.Store.Order(ctx, id)
		if err != nil {
			return false, err
		}
		if a.isStaff() || (a.Role == model.RoleCustomer && o.CustomerID == a.ID) || isWorkerOf(o, a) {
			return true, nil
		}
		if a.Role == model.RoleCustomer {
			ws, err := s.Store.WatchersOfOrder(ctx, o)
			if err != nil {
				return false, err
			}
			for _, w := range ws {
				if w.PersonID == a.ID {
					return true, nil
				}
			}
		}
	}
	return false, nil
}
