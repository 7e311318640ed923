package booking

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

// RequestTimeChange asks to move the appointment (E1). The other party answers — or operators,
// when the appointment is inside the operator window; an unanswered request escalates to
// operators at its deadline. An order nobody has accepted yet is simply moved.
func (s *Service) RequestTimeChange(ctx context.Context, a Actor, id string, newTime time.Time, reason string) (_ model.ChangeRequest, err error) {
	defer model.WrapOp(&err, "booking: request time change", id)
	var v model.Validator
	v.Check(!newTime.IsZero(), "new_time", "is required (RFC 3339)")
	v.Check(reason != "" && utf8.RuneCountInString(reason) <= 500, "reason", "is required, at most 500 characters")
	if err := v.Err(); err != nil {
		return model.ChangeRequest{}, err
	}
	var c model.ChangeRequest
	err = s.write(ctx, "change_time", func(tx *store.Tx) error {
		o, err := s.load(ctx, &tx.Queries, a, id)
		if err != nil {
			return err
		}
		if !(a.Role == model.RoleCustomer || isWorkerOf(o, a) || a.Role == model.RolePlatform) {
			return model.Errorf(model.CodeForbidden, "only the order's customer or its worker may ask for a new time")
		}
		if err := checkTransition(o, ActChangeTime); err != nil {
			return err
		}
		now := tx.Now()
		if !newTime.After(now) || newTime.Equal(o.AppointmentAt) {
			return model.Invalid(model.FieldError{Field: "new_time", Message: "must be in the future and differ from the appointment"})
		}
		p, err := LoadPolicy(ctx, &tx.Queries)
		if err != nil {
			return err
		}
		if newTime.After(now.Add(p.bookAhead())) {
			return model.Invalid(model.FieldError{Field: "new_time", Message: fmt.Sprintf("may be at most %d days ahead", int(p.bookAhead().Hours()/24))})
		}
		c = model.ChangeRequest{OrderID: o.ID, RequesterID: a.ID, RequesterRole: a.Role, OldTime: o.AppointmentAt,
			NewTime: newTime, Reason: reason, State: model.ChangePending, CreatedAt: now}
		c.Deadline = now.Add(time.Duration(p.ChangeAnswerMinutes) * time.Minute)
		if c.Deadline.After(o.AppointmentAt) {
			c.Deadline = o.AppointmentAt
		}
		if o.WorkerID == "" {
			// Nobody to ask: the booking moves at once.
			c.State, c.DecidedBy, c.DecidedAt = model.ChangeAccepted, a.ID, &now
			if err := tx.InsertChangeRequest(ctx, &c); err != nil {
				return err
			}
			store.NoteCreated(ctx, c.ID)
			o.AppointmentAt = newTime
			if err := tx.UpdateOrder(ctx, &o, now); err != nil {
				return err
			}
			return s.event(ctx, tx, o, "rescheduled", a, map[string]any{"change_id": c.ID, "old_time": c.OldTime, "new_time": c.NewTime, "reason": reason})
		}
		c.NeedsOperator = o.AppointmentAt.Sub(now) < time.Duration(p.ChangeOperatorWindowMinutes)*time.Minute
		if err := tx.InsertChangeRequest(ctx, &c); err != nil {
			return err
		}
		store.NoteCreated(ctx, c.ID)
		if err := s.event(ctx, tx, o, "time_change_requested", a, map[string]any{"change_id": c.ID, "old_time": c.OldTime,
			"new_time": c.NewTime, "reason": reason, "needs_operator": c.NeedsOperator}); err != nil {
			return err
		}
		f, err := s.factsOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		name, err := s.requesterName(ctx, &tx.Queries, o, c)
		if err != nil {
			return err
		}
		ev := notify.Event{Kind: notify.KindChangeRequested, Key: c.ID, OrderID: o.ID,
			Vars: withVars(f.vars, map[string]any{"requester_name": name, "old_time": c.OldTime, "new_time": c.NewTime, "reason": reason}),
			Data: map[string]any{"change": c, "actions": []map[string]any{
				{"type": "accept_time_change", "order_id": o.ID, "change_id": c.ID},
				{"type": "decline_time_change", "order_id": o.ID, "change_id": c.ID}}}}
		if c.NeedsOperator {
			if ev.Recipients, err = notify.Operators(ctx, &tx.Queries); err != nil {
				return err
			}
			if err := s.tell(ctx, tx, ev); err != nil {
				return err
			}
			// The requester and the other party learn it is with the platform: nothing to answer.
			asker := requesterParty(o, c)
			for _, rc := range []notify.Recipient{asker, otherParty(o, c)} {
				if err := s.tell(ctx, tx, notify.Event{Kind: notify.KindChangeRequested, Key: c.ID + ":with-platform", OrderID: o.ID,
					Recipients: []notify.Recipient{rc},
					Vars:       withVars(ev.Vars, map[string]any{"with_platform": true, "you_asked": rc.PersonID == asker.PersonID}),
					Data:       map[string]any{"change": c, "with_platform": true}}); err != nil {
					return err
				}
			}
			return nil
		}
		ev.Recipients = []notify.Recipient{otherParty(o, c)}
		if err := s.tell(ctx, tx, ev); err != nil {
			return err
		}
		return s.Jobs.Schedule(ctx, tx, JobEscalation, escalationKey(c.ID), c.Deadline, map[string]string{"change_id": c.ID}, 5)
	})
	return c, err
}

// otherParty is who answers a request: the customer when the worker asked, else the worker.
func otherParty(o model.Order, c model.ChangeRequest) notify.Recipient {
	if c.RequesterRole == model.RoleWorker {
		return customer(o)
	}
	return worker(o.WorkerID)
}

// requesterParty is who asked, as a recipient (the platform asks on the customer's behalf).
func requesterParty(o model.Order, c model.ChangeRequest) notify.Recipient {
	if c.RequesterRole == model.RoleWorker {
		return worker(c.RequesterID)
	}
	return customer(o)
}

func (s *Service) requesterName(ctx context.Context, q *store.Queries, o model.Order, c model.ChangeRequest) (string, error) {
	id := c.RequesterID
	if c.RequesterRole != model.RoleCustomer && c.RequesterRole != model.RoleWorker {
		id = o.CustomerID
	}
	p, err := q.Person(ctx, id)
	return p.Name, err
}

// AnswerTimeChange accepts or declines an open request: by the other party, by operators when
// the request needs them (inside the window, or escalated), or by the platform.
func (s *Service) AnswerTimeChange(ctx context.Context, a Actor, orderID, changeID string, accept bool, reason string) (_ model.ChangeRequest, err error) {
	defer model.WrapOp(&err, "booking: answer time change", orderID)
	if utf8.RuneCountInString(reason) > 500 {
		return model.ChangeRequest{}, model.Invalid(model.FieldError{Field: "reason", Message: "at most 500 characters"})
	}
	var c model.ChangeRequest
	err = s.write(ctx, "answer_time_change", func(tx *store.Tx) error {
		o, watch, err := s.loadWatched(ctx, &tx.Queries, a, orderID)
		if err != nil {
			return err
		}
		if c, err = tx.ChangeRequest(ctx, changeID); err != nil {
			return err
		}
		if c.OrderID != o.ID {
			return model.Errorf(model.CodeNotFound, "change request %q not found", changeID)
		}
		if !c.Open() {
			return model.Errorf(model.CodeInvalidTransition, "the request was already %s", c.State)
		}
		byOperator := c.NeedsOperator || c.State == model.ChangeEscalated
		other := otherParty(o, c)
		switch {
		case watch != nil && !watch.CanAnswerChanges:
			return model.Errorf(model.CodeForbidden, "the customer has not allowed you to answer time changes")
		case watch != nil && (byOperator || other.PersonID != o.CustomerID):
			return model.Errorf(model.CodeForbidden, "only time changes the customer answers are answered by their household")
		case watch != nil:
			// A watcher the customer allowed answers for them (Y5).
		case a.Role == model.RolePlatform:
		case a.Role == model.RoleOperator && byOperator:
		case a.Role == model.RoleOperator:
			return model.Errorf(model.CodeForbidden, "the other party answers this request until it escalates")
		case byOperator:
			return model.Errorf(model.CodeForbidden, "this request is decided by an operator")
		case a.ID != other.PersonID:
			return model.Errorf(model.CodeForbidden, "only the other party answers a time change request")
		}
		if err := checkTransition(o, ActChangeTime); err != nil {
			return err
		}
		now := tx.Now()
		if accept && !c.NewTime.After(now) {
			return model.Errorf(model.CodeInvalidTransition, "the requested time %s has passed; decline it or ask again", c.NewTime.Format(time.RFC3339))
		}
		c.DecidedBy, c.DecisionReason, c.DecidedAt = a.ID, reason, &now
		f, err := s.factsOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		if err := s.Jobs.Cancel(ctx, tx, escalationKey(c.ID)); err != nil {
			return err
		}
		if !accept {
			c.State = model.ChangeDeclined
			if err := tx.UpdateChangeRequest(ctx, &c); err != nil {
				return err
			}
			if err := s.event(ctx, tx, o, "time_change_declined", a, map[string]any{"change_id": c.ID, "reason": reason}); err != nil {
				return err
			}
			return s.tell(ctx, tx, notify.Event{Kind: notify.KindChangeDeclined, Key: c.ID, OrderID: o.ID,
				Recipients: []notify.Recipient{requesterParty(o, c)},
				Vars:       withVars(f.vars, map[string]any{"old_time": c.OldTime, "new_time": c.NewTime, "reason": reason}),
				Data:       map[string]any{"change": c}})
		}
		c.State = model.ChangeAccepted
		if err := tx.UpdateChangeRequest(ctx, &c); err != nil {
			return err
		}
		o.AppointmentAt = c.NewTime
		if err := tx.UpdateOrder(ctx, &o, now); err != nil {
			return err
		}
		if err := s.event(ctx, tx, o, "rescheduled", a, map[string]any{"change_id": c.ID, "old_time": c.OldTime,
			"new_time": c.NewTime, "reason": c.Reason}); err != nil {
			return err
		}
		f.vars["appointment"] = o.AppointmentAt
		// Urgent before the window opens if either time is: the new one, or the old one they
		// would otherwise wait for.
		if err := s.tell(ctx, tx, notify.Event{Kind: notify.KindScheduleChanged, Key: c.ID, OrderID: o.ID,
			Recipients: []notify.Recipient{customer(o), worker(o.WorkerID)}, ServiceStartsAt: earlier(c.OldTime, c.NewTime),
			Vars: withVars(f.vars, map[string]any{"old_time": c.OldTime, "new_time": c.NewTime, "reason": c.Reason}),
			Data: map[string]any{"old_time": c.OldTime, "new_time": c.NewTime, "change": c}}); err != nil {
			return err
		}
		return s.scheduleReminders(ctx, tx, o)
	})
	return c, err
}

// RunEscalation is the handler of JobEscalation: a request still unanswered at its deadline goes
// to the operators.
func (s *Service) RunEscalation(ctx context.Context, j model.Job) (err error) {
	defer model.WrapOp(&err, "booking: run escalation", j.ID)
	var p struct {
		ChangeID string `json:"change_id"`
	}
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return fmt.Errorf("booking: escalation payload: %w", err)
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.ChangeRequest(ctx, p.ChangeID)
		if model.IsCode(err, model.CodeNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if c.State != model.ChangePending {
			return nil
		}
		o, err := tx.Order(ctx, c.OrderID)
		if err != nil {
			return err
		}
		c.State, c.NeedsOperator = model.ChangeEscalated, true
		if err := tx.UpdateChangeRequest(ctx, &c); err != nil {
			return err
		}
		if err := s.event(ctx, tx, o, "time_change_escalated", system, map[string]any{"change_id": c.ID}); err != nil {
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
		return s.tell(ctx, tx, notify.Event{Kind: notify.KindChangeEscalated, Key: c.ID, OrderID: o.ID, Recipients: ops,
			Vars: withVars(f.vars, map[string]any{"old_time": c.OldTime, "new_time": c.NewTime, "reason": c.Reason}),
			Data: map[string]any{"change": c}})
	})
}

// closeOpenChangeIf is closeOpenChange when whether the order has an open request was read in tx
// already, with the order (store.OrderActionState.OpenChange): when it has none, no statement.
func (s *Service) closeOpenChangeIf(ctx context.Context, tx *store.Tx, o model.Order, open bool) error {
	if !open {
		return nil
	}
	return s.closeOpenChange(ctx, tx, o)
}

// closeOpenChange withdraws the order's open request when the order leaves the states that allow one.
func (s *Service) closeOpenChange(ctx context.Context, tx *store.Tx, o model.Order) error {
	c, found, err := tx.OpenChangeRequest(ctx, o.ID)
	if err != nil || !found {
		return err
	}
	now := tx.Now()
	c.State, c.DecidedAt, c.DecidedBy = model.ChangeWithdrawn, &now, "system"
	if err := tx.UpdateChangeRequest(ctx, &c); err != nil {
		return err
	}
	return s.Jobs.Cancel(ctx, tx, escalationKey(c.ID))
}

// WorkerChange is the outcome of a worker change request.
type WorkerChange struct {
	Outcome string      `json:"outcome"` // requested (operators will reassign) or withdrawn (the worker left)
	Order   model.Order `json:"order"`
}

// RequestWorkerChange: the customer (or the platform) asks for another worker — operators are
// told and reassign; the assigned worker withdrawing leaves the order at once, which goes back
// to open, and operators and the customer are told (E2).
func (s *Service) RequestWorkerChange(ctx context.Context, a Actor, id, reason string) (_ WorkerChange, err error) {
	defer model.WrapOp(&err, "booking: request worker change", id)
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		return WorkerChange{}, model.Invalid(model.FieldError{Field: "reason", Message: "is required, at most 500 characters"})
	}
	var out WorkerChange
	err = s.write(ctx, "worker_change", func(tx *store.Tx) error {
		o, err := s.load(ctx, &tx.Queries, a, id)
		if err != nil {
			return err
		}
		if err := checkTransition(o, ActWithdraw); err != nil {
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
		vars := withVars(f.vars, map[string]any{"reason": reason})
		switch {
		case a.Role == model.RoleCustomer || a.Role == model.RolePlatform:
			// One open request per order: a second one before a worker is assigned replaces the
			// first (its reason is what operators see) but tells nobody again — each request
			// told every operator, so repeating them flooded the operators (issue 10).
			open, err := s.workerChangeOpen(ctx, &tx.Queries, o.ID)
			if err != nil {
				return err
			}
			if err := s.event(ctx, tx, o, "worker_change_requested", a, map[string]any{"reason": reason}); err != nil {
				return err
			}
			out = WorkerChange{Outcome: "requested", Order: o}
			if open {
				return nil
			}
			return s.tell(ctx, tx, notify.Event{Kind: notify.KindWorkerChangeRequested, Key: model.NewID(), OrderID: o.ID,
				Recipients: ops, Vars: vars, Data: map[string]any{"requested_by": a.Role, "worker_id": o.WorkerID,
					"actions": []map[string]any{{"type": "assign_worker", "order_id": o.ID}}}})
		case isWorkerOf(o, a):
			o.WorkerID, o.Status = "", model.OrderPending
			if err := tx.UpdateOrder(ctx, &o, tx.Now()); err != nil {
				return err
			}
			if err := s.event(ctx, tx, o, "worker_withdrawn", a, map[string]any{"worker_id": a.ID, "reason": reason}); err != nil {
				return err
			}
			if err := s.workerChanged(ctx, tx, o, a.ID); err != nil {
				return err
			}
			if err := s.cancelReminders(ctx, tx, o.ID); err != nil {
				return err
			}
			if err := s.closeOpenChange(ctx, tx, o); err != nil {
				return err
			}
			out = WorkerChange{Outcome: "withdrawn", Order: o}
			return s.tell(ctx, tx, notify.Event{Kind: notify.KindWorkerChangeRequested, Key: happening(o), OrderID: o.ID,
				Recipients: append([]notify.Recipient{customer(o)}, ops...), Vars: vars,
				Data: map[string]any{"requested_by": a.Role, "worker_id": a.ID}})
		default:
			return model.Errorf(model.CodeForbidden, "operators change workers with POST /v1/orders/{id}/assign")
		}
	})
	return out, err
}

// workerChangeOpen reports whether the order has a worker change requested that no assignment
// (or acceptance, withdrawal or cancellation) has answered yet.
func (s *Service) workerChangeOpen(ctx context.Context, q *store.Queries, orderID string) (bool, error) {
	events, err := q.OrderEvents(ctx, orderID)
	if err != nil {
		return false, err
	}
	open := false
	for _, e := range events { // oldest first
		switch e.Type {
		case "worker_change_requested":
			open = true
		case "assigned", "accepted", "worker_withdrawn", "cancelled":
			open = false
		}
	}
	return open, nil
}

// earlier is the earlier of two times.
func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
