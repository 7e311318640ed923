package booking

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/homebell/homebell/internal/jobs"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

// Job kinds of this package; app wiring registers Service.RunReminder and Service.RunEscalation.
const (
	JobReminder   = "booking.reminder"
	JobEscalation = "booking.change_escalation"
)

// ReminderPayload is what a reminder job was scheduled for. The handler re-reads the order and
// sends only if it still matches: never for an old time, a removed worker or a cancelled order.
type ReminderPayload struct {
	OrderID       string    `json:"order_id"`
	Audience      string    `json:"audience"` // customer or worker
	WorkerID      string    `json:"worker_id"`
	AppointmentAt time.Time `json:"appointment_at"`
}

// ReminderKey is the job key of an order's reminder to one audience: moving or retargeting the
// reminder schedules again under the same key.
func ReminderKey(orderID, audience string) string { return "reminder:" + orderID + ":" + audience }

func escalationKey(changeID string) string { return "change-escalation:" + changeID }

// scheduleReminders (re)schedules the customer's and the worker's reminders of o (N2).
func (s *Service) scheduleReminders(ctx context.Context, tx *store.Tx, o model.Order) error {
	p, err := LoadPolicy(ctx, &tx.Queries)
	if err != nil {
		return err
	}
	at := o.AppointmentAt.Add(-p.LeadFor(o.ServiceItemID))
	js := make([]jobs.Planned, 0, 4)
	for _, aud := range []string{"customer", "worker"} {
		pl := ReminderPayload{OrderID: o.ID, Audience: aud, WorkerID: o.WorkerID, AppointmentAt: o.AppointmentAt}
		js = append(js, jobs.Planned{Kind: JobReminder, Key: ReminderKey(o.ID, aud), RunAt: at, Payload: pl, MaxAttempts: 5})
	}
	// The reminders and the visit's timers go in one statement.
	return s.Jobs.ScheduleMany(ctx, tx, append(js, visitTimers(o, p)...))
}

// cancelReminders cancels the reminders and the visit's timers of an order (it started, was
// cancelled, or lost its worker).
func (s *Service) cancelReminders(ctx context.Context, tx *store.Tx, orderID string) error {
	_, err := tx.CancelJobs(ctx, []string{ReminderKey(orderID, "customer"), ReminderKey(orderID, "worker"),
		VisitKey(orderID, "nudge"), VisitKey(orderID, "late")}, tx.Now())
	return err
}

// RunReminder is the handler of JobReminder. A reminder due while the server was down fires once
// when it is back, as long as the service has not begun — never at or after the appointment, nor
// once the worker is on the way (Y4).
func (s *Service) RunReminder(ctx context.Context, j model.Job) (err error) {
	defer model.WrapOp(&err, "booking: run reminder", j.ID)
	var p ReminderPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return fmt.Errorf("booking: reminder payload: %w", err)
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := jobs.Complete(ctx, tx); err != nil {
			return err
		}
		o, err := tx.Order(ctx, p.OrderID)
		if model.IsCode(err, model.CodeNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		now := tx.Now()
		if o.Status != model.OrderAccepted || o.WorkerID == "" || o.WorkerID != p.WorkerID ||
			!o.AppointmentAt.Equal(p.AppointmentAt) || !now.Before(o.AppointmentAt) {
			return nil // stale: the order moved on since this reminder was scheduled
		}
		// A reminder is pointless once the worker is on the way (Y4).
		if skip, err := skipReminder(ctx, &tx.Queries, o); err != nil || skip {
			return err
		}
		f, err := s.factsOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		rc := customer(o)
		if p.Audience == "worker" {
			rc = worker(o.WorkerID)
		}
		// The key names the appointment and worker: a moved reminder is a new telling, a re-run is not.
		key := o.ID + ":" + p.Audience + ":" + o.AppointmentAt.UTC().Format(time.RFC3339) + ":" + o.WorkerID
		err = s.tell(ctx, tx, notify.Event{Kind: notify.KindServiceStartingSoon, Key: key, OrderID: o.ID,
			Recipients: []notify.Recipient{rc}, Vars: f.vars, ServiceStartsAt: o.AppointmentAt,
			Data: map[string]any{"appointment_at": o.AppointmentAt, "worker": workerCard(f.worker), "address": o.Address}})
		if err == nil {
			// Lateness: from when the job was due (its last scheduling) to now.
			tx.AfterCommit(func() { s.Metrics.ReminderFired(now.Sub(j.RunAt)) })
		}
		return err
	})
}
