package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify/planner"
	"github.com/homebell/homebell/internal/store"
)

// Notices that must land (Y1). A notice of a kind with a read-by deadline that asks its
// recipient to act (it carries actions, or needs an acknowledgement) starts a chain in the
// transaction that stores it: a row with the kind's steps, and the durable job of the first step
// at the deadline. Reading the notice (or acknowledging it, for kinds that need that) cancels the
// pending step in the transaction that records the read. deliver runs the steps.

// JobNoticeStep is the job kind of one chain step.
const JobNoticeStep = "notice.step"

// SettingChainRules is the settings key of the operators' per-kind rules (kind → model.ChainRule).
const SettingChainRules = "notice_chains"

// StepPayload is the payload of a JobNoticeStep job: the step (index into the chain's steps)
// that is due.
type StepPayload struct {
	NotificationID string `json:"notification_id"`
	RecipientID    string `json:"recipient_id"`
	Step           int    `json:"step"`
}

// StepJobKey is the key of the job of one step of a notice's chain.
func StepJobKey(notificationID string, step int) string {
	return fmt.Sprintf("notice:%s:%d", notificationID, step)
}

// ChainSteps is the ordered chain after the in-app notice. WeChat (Y3) joins by registering a
// step of its name (Service.KnownSteps) that operators then put in a kind's list.
var ChainSteps = []string{model.StepWebPush, model.StepGateway, model.StepOperators}

// defaultRules are the catalogue's read-by deadlines.
var defaultRules = map[string]model.ChainRule{
	KindOrderAssigned:         {ReadByMinutes: 15, Steps: ChainSteps, Escalation: model.EscalationSMS, Acknowledge: true},
	KindChangeRequested:       {ReadByMinutes: 30, Steps: ChainSteps, Escalation: model.EscalationAppPush},
	KindWorkerChangeRequested: {ReadByMinutes: 20, Steps: ChainSteps, Escalation: model.EscalationAppPush},
	KindCancellationRequested: {ReadByMinutes: 30, Steps: ChainSteps, Escalation: model.EscalationAppPush},
	// SOS pages every operator again each ReadByMinutes until one acknowledges (no chain steps).
	KindSOS: {ReadByMinutes: 2, Steps: []string{}, Escalation: model.EscalationSMS, Urgent: true},
}

// MinStepInterval is the shortest time between two steps of a chain squeezed before the moment
// its notice stops mattering.
const MinStepInterval = 30 * time.Second

// ChainRules returns every kind's rule: the operators' settings over the catalogue defaults,
// for every kind of the catalogue (read_by_minutes 0: no chain).
func (s *Service) ChainRules(ctx context.Context, q *store.Queries) (_ []model.ChainRule, err error) {
	defer model.WrapOp(&err, "notify: chain rules", "")
	set, err := chainRuleSet(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]model.ChainRule, 0, len(catalogue))
	for _, k := range catalogue {
		out = append(out, chainRuleOf(set, k.ID))
	}
	return out, nil
}

// chainRuleSet is the operators' rules as stored, by kind.
func chainRuleSet(ctx context.Context, q *store.Queries) (map[string]model.ChainRule, error) {
	var set map[string]model.ChainRule
	if _, err := q.Setting(ctx, SettingChainRules, &set); err != nil {
		return nil, err
	}
	return set, nil
}

// chainRuleOf is one kind's rule: the operators' if they set one, else the default; whether the
// kind must be acknowledged and is urgent is what the kind is, not a setting.
func chainRuleOf(set map[string]model.ChainRule, kind string) model.ChainRule {
	r, ok := set[kind]
	if !ok {
		r = defaultRules[kind]
	}
	r.Kind = kind
	if r.Steps == nil {
		r.Steps = []string{}
	}
	if d, ok := defaultRules[kind]; ok {
		r.Acknowledge, r.Urgent = d.Acknowledge, d.Urgent
	}
	return r
}

// ChainRule returns one kind's rule (a kind outside the catalogue has an empty one).
func (s *Service) ChainRule(ctx context.Context, q *store.Queries, kind string) (_ model.ChainRule, err error) {
	defer model.WrapOp(&err, "notify: chain rule", "")
	if _, ok := KindByID(kind); !ok {
		return model.ChainRule{Kind: kind}, nil
	}
	set, err := chainRuleSet(ctx, q)
	if err != nil {
		return model.ChainRule{}, err
	}
	return chainRuleOf(set, kind), nil
}

// KnownStep reports whether name is a chain step operators may use.
func (s *Service) KnownStep(name string) bool {
	return slices.Contains(ChainSteps, name) || s.ExtraSteps[name]
}

// SaveChainRules replaces the operators' per-kind deadlines and chains (every kind sent is
// validated; kinds not sent keep the catalogue default).
func (s *Service) SaveChainRules(ctx context.Context, rules []model.ChainRule) (_ []model.ChainRule, err error) {
	defer model.WrapOp(&err, "notify: save chain rules", "")
	var v model.Validator
	set := map[string]model.ChainRule{}
	for i, r := range rules {
		f := fmt.Sprintf("rules[%d]", i)
		_, ok := KindByID(r.Kind)
		v.Check(ok, f+".kind", "is not a kind of the catalogue")
		v.Check(r.ReadByMinutes >= 0 && r.ReadByMinutes <= 7*24*60, f+".read_by_minutes", "must be 0 (off) to 10080 (a week)")
		v.Check(r.Escalation == "" || r.Escalation == model.EscalationSMS || r.Escalation == model.EscalationAppPush,
			f+".escalation", "must be sms or app_push")
		seen := map[string]bool{}
		for _, st := range r.Steps {
			v.Check(s.KnownStep(st), f+".steps", fmt.Sprintf("%q is not a chain step", st))
			v.Check(!seen[st], f+".steps", fmt.Sprintf("%q is listed twice", st))
			seen[st] = true
		}
		v.Check(len(r.Steps) <= 8, f+".steps", "at most 8 steps")
		if r.Steps == nil {
			r.Steps = []string{}
		}
		set[r.Kind] = model.ChainRule{ReadByMinutes: r.ReadByMinutes, Steps: r.Steps, Escalation: r.Escalation}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out []model.ChainRule
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		var old map[string]model.ChainRule
		if _, err := tx.Setting(ctx, SettingChainRules, &old); err != nil {
			return err
		}
		if old == nil {
			old = map[string]model.ChainRule{}
		}
		for k, r := range set {
			old[k] = r
		}
		if err := tx.PutSetting(ctx, SettingChainRules, old, tx.Now()); err != nil {
			return err
		}
		var err error
		out, err = s.ChainRules(ctx, &tx.Queries)
		return err
	})
	return out, err
}

// hasActions reports whether a notice's data asks its recipient to do something.
func hasActions(data map[string]any) bool {
	switch a := data["actions"].(type) {
	case []map[string]any:
		return len(a) > 0
	case []any:
		return len(a) > 0
	}
	return false
}

// startChain starts n's chain inside tx when its kind has a deadline: the step interval is the
// kind's read-by deadline, squeezed so that every step runs before the notice stops mattering
// (until: the appointment of its order), and moved to the recipient's receiving window unless
// the kind is urgent.
func (s *Service) startChain(ctx context.Context, tx *store.Tx, r model.ChainRule, n model.Notification, prefs planner.Preferences,
	kind Kind, until time.Time, now time.Time) error {
	if r.ReadByMinutes <= 0 || !s.OffApp {
		return nil
	}
	interval := time.Duration(r.ReadByMinutes) * time.Minute
	var untilAt *time.Time
	if until.After(now) {
		u := until.UTC()
		untilAt = &u
		if steps := max(len(r.Steps), 1); now.Add(time.Duration(steps) * interval).After(until) {
			interval = max(until.Sub(now)/time.Duration(steps), MinStepInterval)
		}
	}
	c := model.NoticeChain{NotificationID: n.ID, RecipientID: n.RecipientID, OrderID: n.OrderID, Kind: n.Kind,
		Steps: r.Steps, State: model.ChainActive, AckRequired: r.Acknowledge, Urgent: r.Urgent, Escalation: r.Escalation,
		Interval: int(interval / time.Second), DeadlineAt: now.Add(interval), UntilAt: untilAt}
	at := s.StepTime(c, prefs, kind, now.Add(interval))
	if len(c.Steps) > 0 {
		c.NextAt = &at
	}
	if inserted, err := tx.InsertNoticeChain(ctx, &c, now); err != nil || !inserted {
		return err
	}
	detail := "read by " + c.DeadlineAt.UTC().Format(time.RFC3339)
	if r.Acknowledge {
		detail = "acknowledge by " + c.DeadlineAt.UTC().Format(time.RFC3339)
	}
	if err := RecordStep(ctx, tx, c, model.StepInApp, "sent", detail, now); err != nil {
		return err
	}
	if len(c.Steps) == 0 {
		return nil
	}
	return s.Jobs.Schedule(ctx, tx, JobNoticeStep, StepJobKey(n.ID, 0), at,
		StepPayload{NotificationID: n.ID, RecipientID: n.RecipientID, Step: 0}, 5)
}

// StepTime is when a step due at due may run: at due within the recipient's receiving window
// (or for an urgent kind), else when the window opens.
func (s *Service) StepTime(c model.NoticeChain, prefs planner.Preferences, kind Kind, due time.Time) time.Time {
	if c.Urgent {
		return due
	}
	var starts time.Time
	if c.UntilAt != nil {
		starts = *c.UntilAt
	}
	plan := planner.PlanFor(planner.Notification{Kind: kind.ID, Category: kind.Category, Importance: kind.Importance,
		ServiceStartsAt: starts}, prefs, due)
	if plan.OffApp.Send && plan.OffApp.At.After(due) {
		return plan.OffApp.At
	}
	return due
}

// RecordStep writes one line of a chain's trail (the order's audit trail, X4).
func RecordStep(ctx context.Context, tx *store.Tx, c model.NoticeChain, step, event, detail string, now time.Time) error {
	return tx.InsertNoticeStep(ctx, &model.NoticeStep{NotificationID: c.NotificationID, RecipientID: c.RecipientID,
		OrderID: c.OrderID, Kind: c.Kind, Step: step, Event: event, Detail: detail, CreatedAt: now})
}

// StopChain ends an active chain inside tx with state (read, acknowledged, moot): its pending
// step job is cancelled and the trail says why.
func (s *Service) StopChain(ctx context.Context, tx *store.Tx, c *model.NoticeChain, state, detail string, now time.Time) (err error) {
	defer model.WrapOp(&err, "notify: stop chain", "")
	if c.State != model.ChainActive {
		return nil
	}
	c.State, c.NextAt = state, nil
	if err := tx.UpdateNoticeChain(ctx, c, now); err != nil {
		return err
	}
	if _, err := tx.CancelJob(ctx, StepJobKey(c.NotificationID, c.NextStep), now); err != nil {
		return err
	}
	return RecordStep(ctx, tx, *c, c.LastStep(), state, detail, now)
}

// StopReadChains stops personID's chains whose notice is now read (on any device), inside the
// transaction that marked it read.
func (s *Service) StopReadChains(ctx context.Context, tx *store.Tx, personID string, now time.Time) (err error) {
	defer model.WrapOp(&err, "notify: stop read chains", personID)
	cs, err := tx.ReadActiveChains(ctx, personID)
	if err != nil {
		return err
	}
	for i := range cs {
		if err := s.StopChain(ctx, tx, &cs[i], model.ChainRead, "", now); err != nil {
			return err
		}
	}
	return nil
}

// AckEvent is the payload of a notification.acknowledged event: the person's other devices drop
// the acknowledge button.
type AckEvent struct {
	IDs            []string     `json:"ids"`
	AcknowledgedAt time.Time    `json:"acknowledged_at"`
	Unread         UnreadCounts `json:"unread"`
}

// EventAcknowledged is the event type of an acknowledgement.
const EventAcknowledged = "notification.acknowledged"

// Acknowledge records personID's acknowledgement ("收到") of a notice: it is read, its chain
// stops, and the notice's data says when. Acknowledging twice changes nothing.
func (s *Service) Acknowledge(ctx context.Context, personID, notificationID string) (_ AckEvent, err error) {
	defer model.WrapOp(&err, "notify: acknowledge", personID)
	return s.acknowledge(ctx, personID, func(tx *store.Tx) ([]string, error) {
		if _, err := tx.Notification(ctx, personID, notificationID); err != nil {
			return nil, err
		}
		return []string{notificationID}, nil
	})
}

// AcknowledgeOrder acknowledges every notice about orderID that personID still has to
// acknowledge (the worker's "收到" on the order page). Nothing to acknowledge is not an error.
func (s *Service) AcknowledgeOrder(ctx context.Context, personID, orderID string) (_ AckEvent, err error) {
	defer model.WrapOp(&err, "notify: acknowledge order", personID)
	return s.acknowledge(ctx, personID, func(tx *store.Tx) ([]string, error) {
		cs, err := tx.ChainsOfOrder(ctx, personID, orderID)
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, c := range cs {
			if c.AckRequired && c.AckedAt == nil {
				ids = append(ids, c.NotificationID)
			}
		}
		return ids, nil
	})
}

func (s *Service) acknowledge(ctx context.Context, personID string, pick func(tx *store.Tx) ([]string, error)) (AckEvent, error) {
	var out AckEvent
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		ids, err := pick(tx)
		if err != nil {
			return err
		}
		out = AckEvent{IDs: []string{}, AcknowledgedAt: now.UTC()}
		for _, id := range ids {
			done, err := s.acknowledgeOne(ctx, tx, personID, id, now)
			if err != nil {
				return err
			}
			if done {
				out.IDs = append(out.IDs, id)
			}
		}
		if _, err := tx.MarkRead(ctx, personID, store.ReadSelector{IDs: ids}, now); err != nil {
			return err
		}
		if err := s.StopReadChains(ctx, tx, personID, now); err != nil {
			return err
		}
		counts, err := tx.UnreadCounts(ctx, personID)
		if err != nil {
			return err
		}
		out.Unread = CountsFrom(counts)
		if len(out.IDs) == 0 {
			return nil
		}
		if _, err := tx.AppendEvent(ctx, personID, EventAcknowledged, out, now); err != nil {
			return err
		}
		if s.Wake != nil {
			wake := s.Wake
			tx.AfterCommit(func() { wake(personID) })
		}
		return nil
	})
	if err != nil {
		return AckEvent{}, fmt.Errorf("notify: acknowledge for %s: %w", personID, err)
	}
	return out, nil
}

// acknowledgeOne records the acknowledgement of one notice that needs one; done is false when
// it needs none or was acknowledged before.
func (s *Service) acknowledgeOne(ctx context.Context, tx *store.Tx, personID, id string, now time.Time) (bool, error) {
	c, err := tx.NoticeChain(ctx, id)
	if model.IsCode(err, model.CodeNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if c.RecipientID != personID || !c.AckRequired || c.AckedAt != nil {
		return false, nil
	}
	t := now.UTC()
	c.AckedAt = &t
	if c.State == model.ChainActive {
		if err := s.StopChain(ctx, tx, &c, model.ChainAcknowledged, "", now); err != nil {
			return false, err
		}
	} else {
		if err := tx.UpdateNoticeChain(ctx, &c, now); err != nil {
			return false, err
		}
		if err := RecordStep(ctx, tx, c, c.LastStep(), model.ChainAcknowledged, "", now); err != nil {
			return false, err
		}
	}
	n, err := tx.Notification(ctx, personID, id)
	if err != nil {
		return false, err
	}
	var data map[string]any
	_ = json.Unmarshal(n.Data, &data)
	if data == nil {
		data = map[string]any{}
	}
	data["acknowledged_at"] = t
	raw, err := model.MarshalJSON(data)
	if err != nil {
		return false, err
	}
	return true, tx.SetNotificationData(ctx, personID, id, raw)
}

// Escalation is one line of the operators' live escalations board: a notice unread (or
// unacknowledged) past its deadline, and the step its chain is at.
type Escalation struct {
	model.NoticeChain
	Title         string     `json:"title"`
	RecipientName string     `json:"recipient_name"`
	RecipientRole model.Role `json:"recipient_role"`
	// AtStep is the step that ran last (inapp, webpush, gateway, operators, …).
	AtStep string `json:"at_step"`
}

// Escalations lists the notices past their read-by deadline that nobody has read yet, the
// longest overdue first.
func (s *Service) Escalations(ctx context.Context) (_ []Escalation, err error) {
	defer model.WrapOp(&err, "notify: escalations", "")
	cs, err := s.Store.OverdueChains(ctx, s.Now(), 200)
	if err != nil {
		return nil, err
	}
	out := make([]Escalation, 0, len(cs))
	for _, c := range cs {
		e := Escalation{NoticeChain: c, AtStep: c.LastStep()}
		if n, err := s.Store.Notification(ctx, c.RecipientID, c.NotificationID); err == nil {
			e.Title = n.Title
		}
		if p, err := s.Store.Person(ctx, c.RecipientID); err == nil {
			e.RecipientName, e.RecipientRole = p.Name, p.Role
		}
		out = append(out, e)
	}
	return out, nil
}
