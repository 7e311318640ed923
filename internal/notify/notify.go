// Package notify turns what happened into notifications: which kind (the catalogue), who is told,
// the text in each recipient's language and time zone, and a per-channel plan from their
// preferences. It writes the inbox rows, the recipients' event-log entries and the delivery jobs
// in the caller's transaction, so they commit with the change they report or not at all.
package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/homebell/homebell/internal/jobs"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify/planner"
	"github.com/homebell/homebell/internal/observe"
	"github.com/homebell/homebell/internal/store"
)

// JobDeliver is the job kind of an off-app delivery of one notification.
const JobDeliver = "deliver"

// Settings keys read here.
const (
	SettingImportance         = "importance_overrides" // map kind -> importance
	SettingDefaultPreferences = "default_preferences"  // planner.Preferences for people who set none
)

// Recipient is one person to tell, and the audience whose template they get.
type Recipient struct {
	PersonID string
	Audience string // customer, worker, operator; "" = the kind's default template
}

// Event is something people must be told.
type Event struct {
	Kind       string
	Key        string // unique per happening: the same Key never tells a recipient twice
	OrderID    string
	Recipients []Recipient
	Vars       map[string]any // template values
	Data       map[string]any // structured data for clients (actions, cards); order_id is added
	// ServiceStartsAt is set for notices about an upcoming service (the receiving-window exception).
	ServiceStartsAt time.Time
	// Thread, when set, makes the telling one running entry per recipient and Key (a
	// conversation in the message center) instead of a new one; see Thread.
	Thread *Thread
	// Urgent notices (an SOS) ignore receiving windows and switches: they alert at once (Y1).
	Urgent bool
	// Log, when set, collects the recipients' realtime entries instead of writing them: the
	// caller appends them with its own in one multi-row write (store.AppendEventRecords), after
	// any entries it collected before, and publishes them after commit.
	Log *[]store.NewEventRecord
}

// Thread tells of something that keeps happening in one place (new messages of a conversation):
// each recipient has one message-center row per Key, updated by every telling (title, body,
// data, time; unread again). Its off-app delivery waits Grace, is skipped when the row was read
// meanwhile (the recipient saw it live), and goes out at most once per Every: a telling while a
// delivery is pending adds nothing, the delivery sends the row as it is then ("3 new messages").
type Thread struct {
	Grace time.Duration
	Every time.Duration
	// Quiet stores the row and the realtime event (badge only) but schedules no off-app
	// delivery: the recipient muted the conversation.
	Quiet bool
}

// Service writes notifications.
type Service struct {
	Store *store.Store
	Jobs  *jobs.Runner
	Now   func() time.Time
	// Wake is called after commit with the people whose event log grew (the realtime hub).
	Wake func(personIDs ...string)
	// Publish, when set, is called after commit instead of Wake with the new log entries
	// themselves, so open streams on this node need not read them back.
	Publish func(events map[string][]model.Event)
	// OffApp schedules off-app delivery jobs; false until a delivery handler is registered.
	OffApp bool
	// ExtraSteps names chain steps registered besides ChainSteps (a WeChat channel, Y3).
	ExtraSteps map[string]bool
	// Stale, when set, says whether a notice stopped mattering (its change was withdrawn, its
	// order cancelled) and why: a chain stops, an action is refused (Y1, Y2).
	Stale func(ctx context.Context, q *store.Queries, n model.Notification) (reason string, err error)
	// WeChat: the WeChat channel is configured, so a person bound to WeChat gets a delivery job
	// even with no push subscription and no gateway for the kind (Y3).
	WeChat bool
	// Broadcasts, when set, are merged into message centers (campaigns, P1/P2; see center.go).
	Broadcasts BroadcastSource
	// Metrics count the notifications committed; nil counts nothing.
	Metrics *observe.Metrics
}

// countCreated counts ns in the metrics once tx has committed.
func (s *Service) countCreated(tx *store.Tx, ns []model.Notification) {
	if s.Metrics == nil || len(ns) == 0 {
		return
	}
	if len(ns) == 1 { // the common case, without a map
		kind, category := ns[0].Kind, ns[0].Category
		tx.AfterCommit(func() { s.Metrics.NotificationsCreated(kind, category, 1) })
		return
	}
	type kc struct{ kind, category string }
	counts := map[kc]int{}
	for _, n := range ns {
		counts[kc{n.Kind, n.Category}]++
	}
	tx.AfterCommit(func() {
		for k, c := range counts {
			s.Metrics.NotificationsCreated(k.kind, k.category, c)
		}
	})
}

// DeliverPayload is the payload of a JobDeliver job.
type DeliverPayload struct {
	NotificationID string `json:"notification_id"`
	RecipientID    string `json:"recipient_id"`
	Alert          string `json:"alert"`
	// EventKey names a running thread entry instead of NotificationID (its id changes with every
	// update); SkipIfRead: the delivery is moot once the recipient has read the entry.
	EventKey   string `json:"event_key,omitempty"`
	SkipIfRead bool   `json:"skip_if_read,omitempty"`
}

// NotificationEvent is the payload of a notification.created event.
type NotificationEvent struct {
	Notification model.Notification `json:"notification"`
	Alert        string             `json:"alert"`
}

// Notify tells ev's recipients inside tx. It returns the notifications stored (duplicates of an
// earlier telling and switched-off platform news are not stored).
func (s *Service) Notify(ctx context.Context, tx *store.Tx, ev Event) (_ []model.Notification, err error) {
	defer model.WrapOp(&err, "notify: notify", ev.Key)
	kind, ok := KindByID(ev.Kind)
	if !ok {
		return nil, fmt.Errorf("notify: unknown kind %q", ev.Kind)
	}
	importance := kind.Importance
	var overrides map[string]string
	if _, err := tx.Setting(ctx, SettingImportance, &overrides); err != nil {
		return nil, err
	}
	if imp, err := planner.ParseImportance(overrides[ev.Kind]); err == nil {
		importance = imp
	}
	data := map[string]any{}
	for k, v := range ev.Data {
		data[k] = v
	}
	if ev.OrderID != "" {
		data["order_id"] = ev.OrderID
	}
	// Y1: a kind with a read-by deadline chains the notices that ask their recipient to act;
	// a kind that needs an acknowledgement carries the action.
	var rule model.ChainRule // zero: no chain
	var until time.Time      // when the notice stops mattering: the order's appointment
	if ev.Thread == nil {
		r, err := s.ChainRule(ctx, &tx.Queries, ev.Kind)
		if err != nil {
			return nil, err
		}
		if r.Acknowledge {
			data["ack_required"] = true
			data["actions"] = append(actionsOf(data), map[string]any{"type": "acknowledge"})
		}
		if r.ReadByMinutes > 0 && len(r.Steps) > 0 && hasActions(data) {
			rule, until = r, ev.ServiceStartsAt
			if ev.OrderID != "" {
				if o, err := tx.Order(ctx, ev.OrderID); err == nil {
					until = o.AppointmentAt
				} else if !model.IsCode(err, model.CodeNotFound) {
					return nil, err
				}
			}
		}
	}
	rawData, err := model.MarshalJSON(data)
	if err != nil {
		return nil, fmt.Errorf("notify: data: %w", err)
	}
	now := tx.Now()
	hookWants := false                // some active webhook endpoint takes this kind
	var hooks []model.WebhookEndpoint // those endpoints
	if s.OffApp {
		eps, err := tx.WebhookEndpoints(ctx, true)
		if err != nil {
			return nil, err
		}
		for _, ep := range eps {
			if ep.Wants(ev.Kind) {
				hookWants, hooks = true, append(hooks, ep)
			}
		}
	}
	var out []model.Notification
	var woken []string
	events := map[string][]model.Event{}
	seen := map[string]bool{}
	for _, rc := range ev.Recipients {
		if rc.PersonID == "" || seen[rc.PersonID] {
			continue
		}
		seen[rc.PersonID] = true
		person, err := tx.Person(ctx, rc.PersonID)
		if err != nil {
			return nil, fmt.Errorf("notify: recipient: %w", err)
		}
		prefs, err := s.PreferencesOf(ctx, &tx.Queries, person)
		if err != nil {
			return nil, err
		}
		plan := planner.PlanFor(planner.Notification{Kind: ev.Kind, Category: kind.Category, Importance: importance,
			ServiceStartsAt: ev.ServiceStartsAt}, prefs, now)
		if ev.Urgent {
			// An SOS beats windows and switches: it must be seen now.
			for _, d := range []*planner.Decision{&plan.Inbox, &plan.Realtime, &plan.OffApp} {
				*d = planner.Decision{Channel: d.Channel, Send: true, At: now, Alert: planner.AlertSound, Reason: planner.ReasonOK}
			}
		}
		if !plan.Inbox.Send {
			continue
		}
		loc := person.Location()
		title, body, alt, err := renderTexts(kind, rc.Audience, ev.Vars, person.Locale, loc)
		if err != nil {
			return nil, err
		}
		alert := plan.Realtime.Alert
		if ev.Thread != nil && ev.Thread.Quiet {
			alert = planner.AlertBadge
		}
		n := model.Notification{ID: model.NewID(), RecipientID: person.ID, Kind: ev.Kind, Category: string(kind.Category),
			Importance: string(importance), Title: title, Body: body, Data: rawData, OrderID: ev.OrderID,
			EventKey: ev.Kind + ":" + ev.Key, Alert: string(alert), CreatedAt: now, Alt: alt}
		sameCounts := false
		var sameCountsOf *bool // set by the commit at the latest: the renewal may wait to go with the log's write
		if ev.Thread != nil && ev.Log != nil {
			sameCountsOf = new(bool)
			if err := tx.UpsertThreadNotificationLater(ctx, &n, sameCountsOf); err != nil {
				return nil, err
			}
			sameCounts = *sameCountsOf // known now where the write was not deferred
		} else if ev.Thread != nil {
			if sameCounts, err = tx.UpsertThreadNotification(ctx, &n); err != nil {
				return nil, err
			}
		} else if inserted, err := tx.InsertNotification(ctx, &n); err != nil {
			return nil, err
		} else if !inserted {
			continue // told already
		}
		out = append(out, n)
		if rule.ReadByMinutes > 0 {
			if err := s.startChain(ctx, tx, rule, n, prefs, kind, until, now); err != nil {
				return nil, err
			}
		}
		if plan.Realtime.Send && ev.Log != nil {
			*ev.Log = append(*ev.Log, store.NewEventRecord{PersonID: person.ID, Type: model.EventNotification,
				Data: NotificationEvent{Notification: n, Alert: string(alert)}, SameCounts: sameCounts, SameCountsOf: sameCountsOf})
		} else if plan.Realtime.Send {
			e, err := tx.AppendEventRecord(ctx, person.ID, model.EventNotification,
				NotificationEvent{Notification: n, Alert: string(alert)}, now)
			if err != nil {
				return nil, err
			}
			e.SameCounts = sameCounts
			woken = append(woken, person.ID)
			events[person.ID] = append(events[person.ID], e)
		}
		if ev.Thread != nil && ev.Thread.Quiet {
			continue
		}
		if plan.OffApp.Send && s.OffApp {
			// A delivery due now with nowhere to go (no push subscription, no endpoint for the
			// kind) is not scheduled: each job costs a claim and a finish transaction. A deferred
			// one is, since the person may subscribe before the window opens.
			if !hookWants && !plan.OffApp.At.After(now) {
				subs, err := tx.PushSubscriptions(ctx, person.ID)
				if err != nil {
					return nil, err
				}
				if len(subs) == 0 && !s.wechatBound(ctx, tx, person.ID) {
					continue
				}
			}
			if ev.Thread != nil {
				if err := s.scheduleThread(ctx, tx, n, *ev.Thread, plan.OffApp, now); err != nil {
					return nil, err
				}
				continue
			}
			if err := s.Jobs.Schedule(ctx, tx, JobDeliver, "deliver:"+n.ID, plan.OffApp.At,
				DeliverPayload{NotificationID: n.ID, RecipientID: person.ID, Alert: string(plan.OffApp.Alert)}, 1); err != nil {
				return nil, err
			}
			if plan.OffApp.At.After(now) {
				if err := planDeliveries(ctx, tx, n, plan.OffApp.At, hooks, nil, now); err != nil {
					return nil, err
				}
			}
		}
	}
	s.countCreated(tx, out)
	switch {
	case len(woken) == 0:
	case s.Publish != nil:
		tx.AfterCommit(func() { s.Publish(events) })
	case s.Wake != nil:
		tx.AfterCommit(func() { s.Wake(woken...) })
	}
	return out, nil
}

// wechatBound reports whether personID can be reached on WeChat (a lookup error counts as not).
func (s *Service) wechatBound(ctx context.Context, tx *store.Tx, personID string) bool {
	if !s.WeChat {
		return false
	}
	_, err := tx.WeChatBinding(ctx, personID)
	return err == nil
}

// actionsOf returns a notice data's actions as a list to append to.
func actionsOf(data map[string]any) []map[string]any {
	switch a := data["actions"].(type) {
	case []map[string]any:
		return a
	case []any:
		out := make([]map[string]any, 0, len(a))
		for _, x := range a {
			if m, ok := x.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

// ThreadJobKey is the key of the one off-app delivery job of a recipient's running entry.
func ThreadJobKey(recipientID, eventKey string) string {
	return "deliver:thread:" + recipientID + ":" + eventKey
}

// CancelThreadDelivery drops the pending off-app delivery of a recipient's running entry, inside
// tx: they have read it (live), so it is not pushed, and the next telling is not held back by it.
func CancelThreadDelivery(ctx context.Context, tx *store.Tx, recipientID, eventKey string, now time.Time) error {
	_, err := tx.CancelJob(ctx, ThreadJobKey(recipientID, eventKey), now)
	return err
}

// scheduleThread schedules the off-app delivery of a running entry: Grace from now, and Every
// after the previous one; nothing when one is pending already (it will send the entry as it is
// when it runs, with the count of everything waiting).
func (s *Service) scheduleThread(ctx context.Context, tx *store.Tx, n model.Notification, th Thread, d planner.Decision, now time.Time) error {
	key := ThreadJobKey(n.RecipientID, n.EventKey)
	at := d.At
	if g := now.Add(th.Grace); g.After(at) {
		at = g
	}
	j, err := tx.JobByKey(ctx, key)
	switch {
	case model.IsCode(err, model.CodeNotFound):
	case err != nil:
		return err
	case j.State == model.JobScheduled:
		return nil // pending: it reads the entry as it is when it runs
	case j.State == model.JobCancelled:
		// The recipient read the entry before it went out (CancelThreadDelivery): nothing was
		// sent, so nothing to space from.
	default:
		// The previous delivery ran (or runs) at j.UpdatedAt: the next waits Every after it.
		if next := j.UpdatedAt.Add(th.Every); next.After(at) {
			at = next
		}
	}
	return s.Jobs.Schedule(ctx, tx, JobDeliver, key, at,
		DeliverPayload{RecipientID: n.RecipientID, EventKey: n.EventKey, Alert: string(d.Alert), SkipIfRead: true}, 1)
}

// PreferencesOf returns a person's preferences: their own, else the operators' defaults, else the
// built-in defaults. The person's time zone is always their profile's.
func (s *Service) PreferencesOf(ctx context.Context, q *store.Queries, p model.Person) (_ planner.Preferences, err error) {
	defer model.WrapOp(&err, "notify: preferences of", "")
	prefs := planner.DefaultPreferences()
	found, err := q.Preferences(ctx, p.ID, &prefs)
	if err != nil {
		return prefs, err
	}
	if !found {
		if _, err := q.Setting(ctx, SettingDefaultPreferences, &prefs); err != nil {
			return prefs, err
		}
	}
	prefs.TimeZone = p.TimeZone
	return prefs, nil
}

// Operators lists every operator (they receive platform-side notices such as escalations).
func Operators(ctx context.Context, q *store.Queries) ([]Recipient, error) {
	ps, err := q.People(ctx, model.RoleOperator, "", 1000)
	if err != nil {
		return nil, err
	}
	out := make([]Recipient, 0, len(ps))
	for _, p := range ps {
		out = append(out, Recipient{PersonID: p.ID, Audience: audienceOperator})
	}
	return out, nil
}

// planDeliveries writes, for a notice whose off-app deliveries wait for the recipient's receiving
// window (S2), one planned delivery-log row per target it has now — the person's push
// subscriptions (subs, or read here when nil) and the webhook endpoints hooks that take its kind —,
// queued with the planned time at, so operators see what will go and when. The delivery job claims
// these rows when the window opens (internal/deliver) and skips those whose target is gone.
func planDeliveries(ctx context.Context, tx *store.Tx, n model.Notification, at time.Time, hooks []model.WebhookEndpoint,
	subs []model.PushSubscription, now time.Time) error {
	if subs == nil {
		var err error
		if subs, err = tx.PushSubscriptions(ctx, n.RecipientID); err != nil {
			return err
		}
	}
	add := func(channel, target string) error {
		at := at
		d := model.Delivery{NotificationID: n.ID, RecipientID: n.RecipientID, OrderID: n.OrderID, Kind: n.Kind,
			Channel: channel, Target: target, State: model.DeliveryQueued, NextAttemptAt: &at, Planned: true}
		_, err := tx.InsertDelivery(ctx, &d, now)
		return err
	}
	for _, sub := range subs {
		if err := add(model.ChannelWebPush, sub.ID); err != nil {
			return err
		}
	}
	for _, ep := range hooks {
		if err := add(model.ChannelWebhook, ep.ID); err != nil {
			return err
		}
	}
	return nil
}
