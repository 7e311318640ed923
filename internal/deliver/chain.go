package deliver

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

// Fall-back chains (Y1): a notice still unread (or unacknowledged) at its deadline goes out on the
// next step of its kind's chain. Each step is one JobNoticeStep job; the handler runs the step,
// records it in the trail, and schedules the next one in one transaction, after checking (on
// the locked chain row) that the step is still the one due — so a crash or a second node
// neither skips nor repeats a step, and a read in between wins.

// Step sends a notice again on one channel inside tx; step is the 1-based chain position its
// deliveries carry. sent is false when the channel has nowhere to go (no browser, no gateway):
// the chain moves on to the next step at once. detail says where it went, for the trail.
type Step func(ctx context.Context, tx *store.Tx, c model.NoticeChain, n model.Notification, step int) (sent bool, detail string, err error)

// RegisterStep adds a chain step of name (a channel such as WeChat, Y3); operators may then put
// it in a kind's chain.
func (s *Service) RegisterStep(name string, f Step) {
	if s.steps == nil {
		s.steps = map[string]Step{}
	}
	s.steps[name] = f
	if s.Notify.ExtraSteps == nil {
		s.Notify.ExtraSteps = map[string]bool{}
	}
	s.Notify.ExtraSteps[name] = true
}

func (s *Service) registerChain() {
	s.RegisterStep(model.StepWebPush, s.stepWebPush)
	s.RegisterStep(model.StepGateway, s.stepGateway)
	s.RegisterStep(model.StepOperators, s.stepOperators)
	if s.WeChat != nil {
		s.RegisterStep(model.StepWeChat, s.stepWeChat)
	}
}

// runStep is the handler of notify.JobNoticeStep.
func (s *Service) runStep(ctx context.Context, j model.Job) error {
	var p notify.StepPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return fmt.Errorf("deliver: step payload: %w", err)
	}
	var wake bool
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.NoticeChain(ctx, p.NotificationID)
		if model.IsCode(err, model.CodeNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if c.State != model.ChainActive || c.NextStep != p.Step || c.NextStep >= len(c.Steps) {
			return nil // read, acknowledged or moot meanwhile, or this step ran already
		}
		now := tx.Now()
		n, err := tx.Notification(ctx, c.RecipientID, c.NotificationID)
		if model.IsCode(err, model.CodeNotFound) {
			return s.Notify.StopChain(ctx, tx, &c, model.ChainMoot, "notice removed", now)
		}
		if err != nil {
			return err
		}
		if n.ReadAt != nil && !c.AckRequired {
			return s.Notify.StopChain(ctx, tx, &c, model.ChainRead, "", now)
		}
		if s.Notify.Stale != nil {
			reason, err := s.Notify.Stale(ctx, &tx.Queries, n)
			if err != nil {
				return err
			}
			if reason != "" {
				return s.Notify.StopChain(ctx, tx, &c, model.ChainMoot, reason, now)
			}
		}
		// Run steps until one sends: a step with nowhere to go hands over to the next at once.
		for c.NextStep < len(c.Steps) {
			name := c.Steps[c.NextStep]
			f, ok := s.steps[name]
			sent, detail := false, "no such step"
			if ok {
				if sent, detail, err = f(ctx, tx, c, n, c.NextStep+1); err != nil {
					return err
				}
			}
			event := "sent"
			if !sent {
				event = "skipped"
			}
			if err := notify.RecordStep(ctx, tx, c, name, event, detail, now); err != nil {
				return err
			}
			c.NextStep++
			if sent {
				break
			}
		}
		c.NextAt = nil
		if c.NextStep < len(c.Steps) {
			at, err := s.nextStepAt(ctx, tx, c, n, now)
			if err != nil {
				return err
			}
			c.NextAt = &at
			if err := s.Jobs.Schedule(ctx, tx, notify.JobNoticeStep, notify.StepJobKey(c.NotificationID, c.NextStep), at,
				notify.StepPayload{NotificationID: c.NotificationID, RecipientID: c.RecipientID, Step: c.NextStep}, 5); err != nil {
				return err
			}
		}
		// A chain whose steps all ran stays active (unread past its deadline, on the operators'
		// board) until the notice is read or acknowledged.
		wake = true
		return tx.UpdateNoticeChain(ctx, &c, now)
	})
	if err == nil && wake {
		s.Jobs.Wake()
	}
	return err
}

// nextStepAt is when the chain's next step is due: one interval on, never after the moment the
// notice stops mattering, inside the recipient's receiving window unless the kind is urgent.
func (s *Service) nextStepAt(ctx context.Context, tx *store.Tx, c model.NoticeChain, n model.Notification, now time.Time) (time.Time, error) {
	due := now.Add(time.Duration(c.Interval) * time.Second)
	if c.UntilAt != nil && due.After(*c.UntilAt) {
		due = *c.UntilAt
		if due.Before(now) {
			due = now
		}
	}
	person, err := tx.Person(ctx, c.RecipientID)
	if err != nil {
		return due, err
	}
	prefs, err := s.Notify.PreferencesOf(ctx, &tx.Queries, person)
	if err != nil {
		return due, err
	}
	kind, _ := notify.KindByID(n.Kind)
	return s.Notify.StepTime(c, prefs, kind, due), nil
}

// AdvanceChain runs the next step of the chain of a delivery that failed (by a gateway's receipt
// or after its last attempt) at once, inside tx: a failed step moves to the next one.
func (s *Service) AdvanceChain(ctx context.Context, tx *store.Tx, d model.Delivery, why string) (err error) {
	defer model.WrapOp(&err, "deliver: advance chain", d.ID)
	if d.Step <= 0 {
		return nil
	}
	c, err := tx.NoticeChain(ctx, d.NotificationID)
	if model.IsCode(err, model.CodeNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := tx.Now()
	if err := notify.RecordStep(ctx, tx, c, c.Steps[min(d.Step, len(c.Steps))-1], "failed", d.Channel+": "+why, now); err != nil {
		return err
	}
	if c.State != model.ChainActive || c.NextStep != d.Step || c.NextStep >= len(c.Steps) {
		return nil // a later step runs already, or the chain ended
	}
	c.NextAt = &now
	if err := tx.UpdateNoticeChain(ctx, &c, now); err != nil {
		return err
	}
	return s.Jobs.Schedule(ctx, tx, notify.JobNoticeStep, notify.StepJobKey(c.NotificationID, c.NextStep), now,
		notify.StepPayload{NotificationID: c.NotificationID, RecipientID: c.RecipientID, Step: c.NextStep}, 5)
}

func (s *Service) stepWebPush(ctx context.Context, tx *store.Tx, c model.NoticeChain, n model.Notification, step int) (bool, string, error) {
	if s.Push == nil {
		return false, "Web Push is not configured", nil
	}
	subs, err := tx.PushSubscriptions(ctx, c.RecipientID)
	if err != nil || len(subs) == 0 {
		return false, "no browser subscribed", err
	}
	if err := s.EnqueueStep(ctx, tx, n, "sound", subs, nil, step, ""); err != nil {
		return false, "", err
	}
	return true, fmt.Sprintf("%d browser(s)", len(subs)), nil
}

func (s *Service) stepGateway(ctx context.Context, tx *store.Tx, c model.NoticeChain, n model.Notification, step int) (bool, string, error) {
	eps, err := tx.WebhookEndpoints(ctx, true)
	if err != nil {
		return false, "", err
	}
	var wanted []model.WebhookEndpoint // not eps[:0]: the active list is the read cache's, shared
	for _, ep := range eps {
		if ep.Wants(n.Kind) {
			wanted = append(wanted, ep)
		}
	}
	if len(wanted) == 0 {
		return false, "no gateway takes this kind", nil
	}
	esc := c.Escalation
	if esc == "" {
		esc = model.EscalationSMS
	}
	if err := s.EnqueueStep(ctx, tx, n, "sound", nil, wanted, step, esc); err != nil {
		return false, "", err
	}
	return true, fmt.Sprintf("escalation %s, %d gateway(s)", esc, len(wanted)), nil
}

func (s *Service) stepOperators(ctx context.Context, tx *store.Tx, c model.NoticeChain, n model.Notification, step int) (bool, string, error) {
	person, err := tx.Person(ctx, c.RecipientID)
	if err != nil {
		return false, "", err
	}
	if person.Role == model.RoleOperator {
		return false, "the recipient is an operator", nil
	}
	ops, err := notify.Operators(ctx, &tx.Queries)
	if err != nil {
		return false, "", err
	}
	if len(ops) == 0 {
		return false, "no operator", nil
	}
	var before []string
	for _, st := range c.Steps[:step-1] {
		before = append(before, st)
	}
	channels := strings.Join(append([]string{model.StepInApp}, before...), " → ")
	roles := map[model.Role]string{model.RoleCustomer: "customer", model.RoleWorker: "worker"}
	_, err = s.Notify.Notify(ctx, tx, notify.Event{Kind: notify.KindNoticeUnread, Key: c.NotificationID, OrderID: c.OrderID,
		Recipients: ops, Vars: map[string]any{"person_name": person.Name, "role": roles[person.Role], "title": n.Title,
			"channels": channels, "ack": c.AckRequired},
		Data: map[string]any{"notification_id": c.NotificationID, "recipient_id": c.RecipientID, "kind": c.Kind}})
	if err != nil {
		return false, "", err
	}
	return true, fmt.Sprintf("%d operator(s)", len(ops)), nil
}
