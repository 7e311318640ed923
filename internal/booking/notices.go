package booking

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

// Notices that must land (Y1) and act from the notice (Y2), as far as orders are concerned:
// whether a notice about an order still matters, and SOS.

// NoticeStale says why a notice about an order stopped mattering ("" while it matters): the
// order was cancelled or has ended, the request it asks about was answered or withdrawn, or the
// order went to another worker. A chain stops on it; an action on it is refused.
func (s *Service) NoticeStale(ctx context.Context, q *store.Queries, n model.Notification) (_ string, err error) {
	defer model.WrapOp(&err, "booking: notice stale", "")
	if n.OrderID == "" {
		return "", nil
	}
	o, err := q.Order(ctx, n.OrderID)
	if model.IsCode(err, model.CodeNotFound) {
		return "the order no longer exists", nil
	}
	if err != nil {
		return "", err
	}
	switch o.Status {
	case model.OrderCancelled:
		return "the order was cancelled", nil
	case model.OrderCompleted:
		// A review and its reply come after the service, and the order's chat stays writable for
		// a while after it (the conversation's own window decides, chat.Send).
		if n.Kind != notify.KindServiceCompleted && n.Kind != notify.KindReviewReceived && n.Kind != notify.KindChatMessage {
			return "the order is completed", nil
		}
	}
	var data struct {
		Change *struct {
			ID string `json:"id"`
		} `json:"change"`
	}
	_ = json.Unmarshal(n.Data, &data)
	switch n.Kind {
	case notify.KindChangeRequested:
		if data.Change != nil {
			c, err := q.ChangeRequest(ctx, data.Change.ID)
			if err != nil {
				return "", err
			}
			if !c.Open() {
				return "the time change was " + c.State, nil
			}
		}
	case notify.KindCancellationRequested:
		c, found, err := q.LatestCancellation(ctx, o.ID)
		if err != nil {
			return "", err
		}
		if !found || c.Status != model.CancellationPendingApproval {
			return "the cancellation was decided", nil
		}
	case notify.KindOrderAssigned:
		if o.WorkerID != n.RecipientID {
			return "the order went to another worker", nil
		}
	case notify.KindWorkerChangeRequested:
		open, err := s.workerChangeOpen(ctx, q, o.ID)
		if err != nil {
			return "", err
		}
		if !open {
			return "the worker was changed", nil
		}
	}
	return "", nil
}

// JobSOSPage is the job kind of one page of an SOS to the operators.
const JobSOSPage = "sos.page"

// SOSPageEvery is how often an unacknowledged SOS pages the operators when the operators set no
// read-by deadline for the kind.
const SOSPageEvery = 2 * time.Minute

// sosJobKey is the key of an SOS's next page.
func sosJobKey(id string) string { return "sos:" + id }

// RaiseSOS: the order's customer or current worker asks for help now. Every operator is paged at
// once, ignoring receiving windows, and again every few minutes until one acknowledges.
func (s *Service) RaiseSOS(ctx context.Context, a Actor, orderID, text string) (_ model.SOSAlert, err error) {
	defer model.WrapOp(&err, "booking: raise SOS", orderID)
	if len([]rune(text)) > 500 {
		return model.SOSAlert{}, model.Invalid(model.FieldError{Field: "text", Message: "at most 500 characters"})
	}
	if a.Role != model.RoleCustomer && a.Role != model.RoleWorker {
		return model.SOSAlert{}, model.Errorf(model.CodeForbidden, "the order's customer or worker raises an SOS")
	}
	var sos model.SOSAlert
	err = s.write(ctx, "sos", func(tx *store.Tx) error {
		o, err := s.load(ctx, &tx.Queries, a, orderID)
		if err != nil {
			return err
		}
		if a.Role == model.RoleWorker && !isWorkerOf(o, a) {
			return model.Errorf(model.CodeNotFound, "order %q not found", orderID)
		}
		now := tx.Now()
		sos = model.SOSAlert{OrderID: o.ID, RaisedBy: a.ID, RaiserRole: a.Role, Text: text}
		if err := tx.InsertSOS(ctx, &sos, now); err != nil {
			return err
		}
		store.NoteCreated(ctx, sos.ID)
		if err := s.event(ctx, tx, o, "sos_raised", a, map[string]any{"sos_id": sos.ID, "text": text}); err != nil {
			return err
		}
		return s.pageSOS(ctx, tx, &sos, now)
	})
	return sos, err
}

// pageSOS pages every operator once more and schedules the next page.
func (s *Service) pageSOS(ctx context.Context, tx *store.Tx, sos *model.SOSAlert, now time.Time) error {
	o, err := tx.Order(ctx, sos.OrderID)
	if err != nil {
		return err
	}
	f, err := s.factsOf(ctx, &tx.Queries, o)
	if err != nil {
		return err
	}
	raiser, err := tx.Person(ctx, sos.RaisedBy)
	if err != nil {
		return err
	}
	ops, err := notify.Operators(ctx, &tx.Queries)
	if err != nil {
		return err
	}
	sos.Pages++
	role := map[model.Role]string{model.RoleCustomer: "客户 customer", model.RoleWorker: "服务人员 worker"}[sos.RaiserRole]
	if err := s.tell(ctx, tx, notify.Event{Kind: notify.KindSOS, Key: sos.ID + ":" + strconv.Itoa(sos.Pages), OrderID: o.ID,
		Recipients: ops, Urgent: true,
		Vars: withVars(f.vars, map[string]any{"raiser_name": raiser.Name, "raiser_role": role, "text": sos.Text, "page": sos.Pages, "repeat": sos.Pages > 1}),
		Data: map[string]any{"sos_id": sos.ID, "page": sos.Pages, "actions": []map[string]any{
			{"type": "acknowledge_sos", "order_id": o.ID, "sos_id": sos.ID}}}}); err != nil {
		return err
	}
	if err := tx.UpdateSOS(ctx, sos, now); err != nil {
		return err
	}
	every := SOSPageEvery
	if r, err := s.Notify.ChainRule(ctx, &tx.Queries, notify.KindSOS); err != nil {
		return err
	} else if r.ReadByMinutes > 0 {
		every = time.Duration(r.ReadByMinutes) * time.Minute
	}
	return s.Jobs.Schedule(ctx, tx, JobSOSPage, sosJobKey(sos.ID), now.Add(every), map[string]string{"sos_id": sos.ID}, 5)
}

// RunSOSPage is the handler of JobSOSPage: page again unless an operator acknowledged.
func (s *Service) RunSOSPage(ctx context.Context, j model.Job) (err error) {
	defer model.WrapOp(&err, "booking: run SOS page", j.ID)
	var p struct {
		SOSID string `json:"sos_id"`
	}
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return fmt.Errorf("booking: sos payload: %w", err)
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		sos, err := tx.SOS(ctx, p.SOSID)
		if model.IsCode(err, model.CodeNotFound) {
			return nil
		}
		if err != nil || sos.AckedAt != nil {
			return err
		}
		return s.pageSOS(ctx, tx, &sos, tx.Now())
	})
}

// AcknowledgeSOS: an operator takes the SOS. Paging stops and the raiser is told who has it. A
// second acknowledgement answers with the first one's.
func (s *Service) AcknowledgeSOS(ctx context.Context, a Actor, id string) (_ model.SOSAlert, err error) {
	defer model.WrapOp(&err, "booking: acknowledge SOS", id)
	if a.Role != model.RoleOperator {
		return model.SOSAlert{}, model.Errorf(model.CodeForbidden, "operators acknowledge an SOS")
	}
	var sos model.SOSAlert
	err = s.write(ctx, "sos_ack", func(tx *store.Tx) error {
		var err error
		if sos, err = tx.SOS(ctx, id); err != nil {
			return err
		}
		if sos.AckedAt != nil {
			return nil
		}
		now := tx.Now()
		t := now.UTC()
		sos.AckedBy, sos.AckedAt = a.ID, &t
		if err := tx.UpdateSOS(ctx, &sos, now); err != nil {
			return err
		}
		if _, err := tx.CancelJob(ctx, sosJobKey(sos.ID), now); err != nil {
			return err
		}
		o, err := tx.Order(ctx, sos.OrderID)
		if err != nil {
			return err
		}
		if err := s.event(ctx, tx, o, "sos_acknowledged", a, map[string]any{"sos_id": sos.ID, "pages": sos.Pages}); err != nil {
			return err
		}
		f, err := s.factsOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		name := a.Name
		if p, err := tx.Person(ctx, a.ID); err == nil {
			name = p.Name
		}
		audience := "customer"
		if sos.RaiserRole == model.RoleWorker {
			audience = "worker"
		}
		return s.tell(ctx, tx, notify.Event{Kind: notify.KindSOSAcknowledged, Key: sos.ID, OrderID: o.ID, Urgent: true,
			Recipients: []notify.Recipient{{PersonID: sos.RaisedBy, Audience: audience}},
			Vars:       withVars(f.vars, map[string]any{"operator_name": name}), Data: map[string]any{"sos_id": sos.ID}})
	})
	return sos, err
}

// OpenSOS lists SOS alerts no operator has acknowledged yet (operators only).
func (s *Service) OpenSOS(ctx context.Context, a Actor) (_ []model.SOSAlert, err error) {
	defer model.WrapOp(&err, "booking: open SOS", "")
	if !a.isStaff() {
		return nil, model.Errorf(model.CodeForbidden, "operators see SOS alerts")
	}
	out, err := s.Store.OpenSOS(ctx, 200)
	if out == nil {
		out = []model.SOSAlert{}
	}
	return out, err
}
