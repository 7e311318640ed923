package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/homebell/homebell/internal/jobs"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify/planner"
	"github.com/homebell/homebell/internal/store"
)

// told is one notification NotifyMany makes, with its plan.
type told struct {
	n    *model.Notification
	plan planner.Plan
	hook bool // some webhook endpoint takes its kind
}

// NotifyMany tells the recipients of many events inside tx, as Notify does each, but set-based:
// the settings and webhook endpoints are read once, all recipients, their preferences and (when
// needed) push subscriptions in one query each, and the notifications, event-log entries and
// delivery jobs are written with multi-row statements. Events with a Thread are told one by one.
// The hub is woken once, after commit, with every entry.
func (s *Service) NotifyMany(ctx context.Context, tx *store.Tx, evs []Event) (_ []model.Notification, err error) {
	defer model.WrapOp(&err, "notify: notify many", "")
	var out []model.Notification
	var batch []Event
	for _, ev := range evs {
		if ev.Thread != nil {
			ns, err := s.Notify(ctx, tx, ev)
			if err != nil {
				return nil, err
			}
			out = append(out, ns...)
			continue
		}
		batch = append(batch, ev)
	}
	if len(batch) == 0 {
		return out, nil
	}
	var overrides map[string]string
	if _, err := tx.Setting(ctx, SettingImportance, &overrides); err != nil {
		return nil, err
	}
	var endpoints []model.WebhookEndpoint
	if s.OffApp {
		var err error
		if endpoints, err = tx.WebhookEndpoints(ctx, true); err != nil {
			return nil, err
		}
	}
	// Everyone told, read once.
	var ids []string
	listed := map[string]bool{}
	for _, ev := range batch {
		for _, rc := range ev.Recipients {
			if rc.PersonID != "" && !listed[rc.PersonID] {
				listed[rc.PersonID] = true
				ids = append(ids, rc.PersonID)
			}
		}
	}
	people := make(map[string]model.Person, len(ids))
	ownPrefs := map[string][]byte{}
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		ps, err := tx.PeopleByIDs(ctx, part)
		if err != nil {
			return nil, err
		}
		for id, p := range ps {
			people[id] = p
		}
		prefs, err := tx.PreferencesOfMany(ctx, part)
		if err != nil {
			return nil, err
		}
		for id, raw := range prefs {
			ownPrefs[id] = raw
		}
	}
	var defaults *planner.Preferences // the operators' defaults, read when someone has none
	prefsOf := func(p model.Person) (planner.Preferences, error) {
		prefs := planner.DefaultPreferences()
		if raw, ok := ownPrefs[p.ID]; ok {
			if err := json.Unmarshal(raw, &prefs); err != nil {
				return prefs, fmt.Errorf("notify: preferences of %s: %w", p.ID, err)
			}
		} else {
			if defaults == nil {
				d := planner.DefaultPreferences()
				if _, err := tx.Setting(ctx, SettingDefaultPreferences, &d); err != nil {
					return prefs, err
				}
				defaults = &d
			}
			prefs = *defaults
		}
		prefs.TimeZone = p.TimeZone
		return prefs, nil
	}

	now := tx.Now()
	var ns []*model.Notification
	var all []told
	for _, ev := range batch {
		kind, ok := KindByID(ev.Kind)
		if !ok {
			return nil, fmt.Errorf("notify: unknown kind %q", ev.Kind)
		}
		importance := kind.Importance
		if imp, err := planner.ParseImportance(overrides[ev.Kind]); err == nil {
			importance = imp
		}
		data := make(map[string]any, len(ev.Data)+1)
		for k, v := range ev.Data {
			data[k] = v
		}
		if ev.OrderID != "" {
			data["order_id"] = ev.OrderID
		}
		rawData, err := model.MarshalJSON(data)
		if err != nil {
			return nil, fmt.Errorf("notify: data: %w", err)
		}
		hook := false
		for _, ep := range endpoints {
			hook = hook || ep.Wants(ev.Kind)
		}
		seen := map[string]bool{}
		for _, rc := range ev.Recipients {
			if rc.PersonID == "" || seen[rc.PersonID] {
				continue
			}
			seen[rc.PersonID] = true
			person, ok := people[rc.PersonID]
			if !ok {
				return nil, fmt.Errorf("notify: recipient: %w", model.Errorf(model.CodeNotFound, "person %q not found", rc.PersonID))
			}
			prefs, err := prefsOf(person)
			if err != nil {
				return nil, err
			}
			plan := planner.PlanFor(planner.Notification{Kind: ev.Kind, Category: kind.Category, Importance: importance,
				ServiceStartsAt: ev.ServiceStartsAt}, prefs, now)
			if !plan.Inbox.Send {
				continue
			}
			loc := person.Location()
			title, body, alt, err := renderTexts(kind, rc.Audience, ev.Vars, person.Locale, loc)
			if err != nil {
				return nil, err
			}
			n := &model.Notification{ID: model.NewID(), RecipientID: person.ID, Kind: ev.Kind, Category: string(kind.Category),
				Importance: string(importance), Title: title, Body: body, Data: rawData, OrderID: ev.OrderID,
				EventKey: ev.Kind + ":" + ev.Key, Alert: string(plan.Realtime.Alert), CreatedAt: now, Alt: alt}
			ns = append(ns, n)
			all = append(all, told{n: n, plan: plan, hook: hook})
		}
	}
	inserted, err := tx.InsertNotifications(ctx, ns)
	if err != nil {
		return nil, err
	}
	var recs []store.NewEventRecord
	var pushCheck []string // people whose due delivery needs a push subscription to go anywhere
	needCheck := map[string]bool{}
	counted := len(out) // the threads' notifications were counted by Notify
	for i, t := range all {
		if !inserted[i] {
			continue // told already
		}
		out = append(out, *t.n)
		if t.plan.Realtime.Send {
			recs = append(recs, store.NewEventRecord{PersonID: t.n.RecipientID, Type: model.EventNotification,
				Data: NotificationEvent{Notification: *t.n, Alert: string(t.plan.Realtime.Alert)}})
		}
		if t.plan.OffApp.Send && s.OffApp && !t.hook && !t.plan.OffApp.At.After(now) && !needCheck[t.n.RecipientID] {
			needCheck[t.n.RecipientID] = true
			pushCheck = append(pushCheck, t.n.RecipientID)
		}
	}
	subscribed := map[string]bool{}
	for start := 0; start < len(pushCheck); start += 500 {
		subs, err := tx.PushSubscriptionsOfMany(ctx, pushCheck[start:min(start+500, len(pushCheck))])
		if err != nil {
			return nil, err
		}
		for id, ss := range subs {
			subscribed[id] = len(ss) > 0
		}
	}
	var planned []jobs.Planned
	if s.OffApp {
		for i, t := range all {
			if !inserted[i] || !t.plan.OffApp.Send {
				continue
			}
			// As in Notify: a delivery due now with nowhere to go is not scheduled.
			if !t.hook && !t.plan.OffApp.At.After(now) && !subscribed[t.n.RecipientID] {
				continue
			}
			planned = append(planned, jobs.Planned{Kind: JobDeliver, Key: "deliver:" + t.n.ID, RunAt: t.plan.OffApp.At,
				Payload: DeliverPayload{NotificationID: t.n.ID, RecipientID: t.n.RecipientID, Alert: string(t.plan.OffApp.Alert)}, MaxAttempts: 1})
		}
		if err := s.planHeld(ctx, tx, all, inserted, endpoints, now); err != nil {
			return nil, err
		}
	}
	entries, err := tx.AppendEventRecords(ctx, recs, now)
	if err != nil {
		return nil, err
	}
	if err := s.Jobs.ScheduleMany(ctx, tx, planned); err != nil {
		return nil, err
	}
	s.countCreated(tx, out[counted:])
	if len(entries) > 0 {
		events := map[string][]model.Event{}
		var woken []string
		for i, e := range entries {
			id := recs[i].PersonID
			if len(events[id]) == 0 {
				woken = append(woken, id)
			}
			events[id] = append(events[id], e)
		}
		switch {
		case s.Publish != nil:
			tx.AfterCommit(func() { s.Publish(events) })
		case s.Wake != nil:
			tx.AfterCommit(func() { s.Wake(woken...) })
		}
	}
	return out, nil
}

// planHeld writes the planned delivery rows (S2, as Notify does) of the notifications in all whose
// off-app deliveries wait for a receiving window, reading the recipients' push subscriptions in one
// query per 500 people.
func (s *Service) planHeld(ctx context.Context, tx *store.Tx, all []told, inserted []bool, endpoints []model.WebhookEndpoint, now time.Time) error {
	var ids []string
	need := map[string]bool{}
	for i, t := range all {
		if inserted[i] && t.plan.OffApp.Send && t.plan.OffApp.At.After(now) && !need[t.n.RecipientID] {
			need[t.n.RecipientID] = true
			ids = append(ids, t.n.RecipientID)
		}
	}
	subs := make(map[string][]model.PushSubscription, len(ids))
	for start := 0; start < len(ids); start += 500 {
		got, err := tx.PushSubscriptionsOfMany(ctx, ids[start:min(start+500, len(ids))])
		if err != nil {
			return err
		}
		for id, ss := range got {
			subs[id] = ss
		}
	}
	for i, t := range all {
		if !inserted[i] || !t.plan.OffApp.Send || !t.plan.OffApp.At.After(now) {
			continue
		}
		var hooks []model.WebhookEndpoint
		for _, ep := range endpoints {
			if ep.Wants(t.n.Kind) {
				hooks = append(hooks, ep)
			}
		}
		own := subs[t.n.RecipientID]
		if own == nil {
			own = []model.PushSubscription{}
		}
		if err := planDeliveries(ctx, tx, *t.n, t.plan.OffApp.At, hooks, own, now); err != nil {
			return err
		}
	}
	return nil
}
