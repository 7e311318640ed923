package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

func init() {
	Register(
		Case{"deliveries/push subscriptions are unique by endpoint and owned", pushSubscriptionsByEndpoint},
		Case{"deliveries/webhook endpoints: kinds, failures, pause and re-activation", webhookEndpointLifecycle},
		Case{"deliveries/the read cache follows push subscription and endpoint writes", deliveryTargetsCacheFollowsWrites},
		Case{"deliveries/log is idempotent per target and filterable", deliveryLog},
		Case{"deliveries/a planned delivery is claimed by its send, never doubled", plannedDelivery},
		Case{"deliveries/last seqs of many people in one call", lastSeqs},
		Case{"deliveries/events of many people in one read, each after their own seq", eventsAfterMany},
	)
}

func pushSubscriptionsByEndpoint(t *testing.T, s *store.Store) {
	ctx := context.Background()
	AddPeople(t, s, Person("a", model.RoleCustomer), Person("b", model.RoleWorker))
	sub := model.PushSubscription{PersonID: "a", Endpoint: "https://push.example/1", P256dh: "k1", Auth: "a1"}
	var created bool
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		created, err = tx.PutPushSubscription(ctx, &sub, T0)
		return err
	})
	if !created || sub.ID == "" {
		t.Fatalf("first put: created %v %+v", created, sub)
	}
	wantUTC(t, "created_at", sub.CreatedAt, T0)
	// The same browser, now signed in as b, with new keys: one row, same id, new owner.
	again := model.PushSubscription{PersonID: "b", Endpoint: "https://push.example/1", P256dh: "k2", Auth: "a2"}
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		created, err = tx.PutPushSubscription(ctx, &again, at(time.Hour))
		return err
	})
	if created || again.ID != sub.ID || again.PersonID != "b" || again.P256dh != "k2" {
		t.Fatalf("second put: created %v %+v", created, again)
	}
	if got, _ := s.PushSubscriptions(ctx, "a"); len(got) != 0 {
		t.Errorf("a still has %v", got)
	}
	if got, _ := s.PushSubscriptions(ctx, "b"); len(got) != 1 || got[0].Auth != "a2" {
		t.Errorf("b has %v", got)
	}
	wantCode(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.DeletePushSubscription(ctx, "a", sub.ID) }), model.CodeNotFound)
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.DeletePushSubscription(ctx, "b", sub.ID) })
	_, err := s.PushSubscription(ctx, sub.ID)
	wantCode(t, err, model.CodeNotFound)
}

func webhookEndpointLifecycle(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ep := model.WebhookEndpoint{URL: "https://gw.example/h", Secret: "whsec_x", Kinds: []string{"order.accepted"}, Active: true}
	all := model.WebhookEndpoint{URL: "https://gw.example/all", Secret: "whsec_y", Active: true}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.InsertWebhookEndpoint(ctx, &ep, T0); err != nil {
			return err
		}
		return tx.InsertWebhookEndpoint(ctx, &all, at(time.Second))
	})
	got, err := s.WebhookEndpoint(ctx, ep.ID)
	if err != nil || got.Secret != "whsec_x" || len(got.Kinds) != 1 || !got.Wants("order.accepted") || got.Wants("order.cancelled") {
		t.Fatalf("read back %+v %v", got, err)
	}
	if a, _ := s.WebhookEndpoint(ctx, all.ID); !a.Wants("anything") || a.Kinds == nil {
		t.Errorf("no kinds must mean every kind, as an empty list: %+v", a)
	}
	var after model.WebhookEndpoint
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		if _, err = tx.WebhookDeliveryFailed(ctx, ep.ID); err != nil {
			return err
		}
		after, err = tx.WebhookDeliveryFailed(ctx, ep.ID)
		return err
	})
	if after.FailedDeliveries != 2 {
		t.Errorf("failed deliveries %d, want 2", after.FailedDeliveries)
	}
	var paused, pausedAgain bool
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		if paused, err = tx.PauseWebhookEndpoint(ctx, ep.ID, at(time.Hour)); err != nil {
			return err
		}
		pausedAgain, err = tx.PauseWebhookEndpoint(ctx, ep.ID, at(2*time.Hour))
		return err
	})
	if !paused || pausedAgain {
		t.Errorf("pause: first %v, second %v; want true then false", paused, pausedAgain)
	}
	if active, _ := s.WebhookEndpoints(ctx, true); len(active) != 1 || active[0].ID != all.ID {
		t.Errorf("active endpoints: %+v", active)
	}
	got, _ = s.WebhookEndpoint(ctx, ep.ID)
	if got.Active || got.PausedAt == nil {
		t.Fatalf("paused endpoint: %+v", got)
	}
	wantUTC(t, "paused_at", *got.PausedAt, at(time.Hour))
	got.Active = true
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.UpdateWebhookEndpoint(ctx, &got, at(3*time.Hour))
	})
	got, _ = s.WebhookEndpoint(ctx, ep.ID)
	if !got.Active || got.PausedAt != nil || got.FailedDeliveries != 0 {
		t.Errorf("re-activated endpoint: %+v", got)
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.WebhookSucceeded(ctx, ep.ID, at(4*time.Hour)) })
	got, _ = s.WebhookEndpoint(ctx, ep.ID)
	if got.LastSuccessAt == nil {
		t.Fatal("no last success")
	}
	wantUTC(t, "last_success_at", *got.LastSuccessAt, at(4*time.Hour))
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteWebhookEndpoint(ctx, ep.ID) })
	wantCode(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteWebhookEndpoint(ctx, ep.ID) }), model.CodeNotFound)
}

func deliveryLog(t *testing.T, s *store.Store) {
	ctx := context.Background()
	next := at(time.Minute)
	d1 := model.Delivery{NotificationID: "n1", RecipientID: "a", OrderID: "o1", Kind: "order.accepted", Channel: model.ChannelWebPush,
		Target: "sub1", NextAttemptAt: &next}
	d2 := model.Delivery{NotificationID: "n1", RecipientID: "a", OrderID: "o1", Kind: "order.accepted", Channel: model.ChannelWebhook, Target: "ep1"}
	d3 := model.Delivery{NotificationID: "n2", RecipientID: "b", Kind: "platform.promotion", Channel: model.ChannelWebhook, Target: "ep1"}
	dup := model.Delivery{NotificationID: "n1", RecipientID: "a", Channel: model.ChannelWebPush, Target: "sub1"}
	var ins [4]bool
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		for i, d := range []*model.Delivery{&d1, &d2, &d3, &dup} {
			var err error
			if ins[i], err = tx.InsertDelivery(ctx, d, at(time.Duration(i)*time.Second)); err != nil {
				return err
			}
		}
		return nil
	})
	if ins != [4]bool{true, true, true, false} {
		t.Fatalf("inserted %v; the second delivery of n1 to sub1 must be refused", ins)
	}
	got, err := s.Delivery(ctx, d1.ID)
	if err != nil || got.State != model.DeliveryQueued || got.NextAttemptAt == nil || got.OrderID != "o1" {
		t.Fatalf("read back %+v %v", got, err)
	}
	wantUTC(t, "next_attempt_at", *got.NextAttemptAt, next)
	got.State, got.Attempts, got.LastStatus, got.LastError, got.NextAttemptAt = model.DeliverySent, 1, 201, "", nil
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateDelivery(ctx, &got, at(time.Hour)) })
	got, _ = s.Delivery(ctx, d1.ID)
	if got.State != model.DeliverySent || got.Attempts != 1 || got.LastStatus != 201 || got.NextAttemptAt != nil {
		t.Errorf("after update: %+v", got)
	}
	wantUTC(t, "updated_at", got.UpdatedAt, at(time.Hour))
	count := func(f store.DeliveryFilter) int {
		ds, err := s.Deliveries(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return len(ds)
	}
	if n := count(store.DeliveryFilter{}); n != 3 {
		t.Errorf("all: %d", n)
	}
	if n := count(store.DeliveryFilter{NotificationID: "n1"}); n != 2 {
		t.Errorf("n1: %d", n)
	}
	if n := count(store.DeliveryFilter{OrderID: "o1", State: model.DeliveryQueued}); n != 1 {
		t.Errorf("o1 queued: %d", n)
	}
	page1, _ := s.Deliveries(ctx, store.DeliveryFilter{Limit: 2})
	if len(page1) != 2 || page1[0].ID != d3.ID {
		t.Fatalf("newest first: %+v", page1)
	}
	if n := count(store.DeliveryFilter{Before: page1[1].ID}); n != 1 {
		t.Errorf("second page: %d", n)
	}
	forOrder, err := s.DeliveriesForOrder(ctx, "o1")
	if err != nil || len(forOrder) != 2 || forOrder[0].ID != d1.ID || forOrder[1].ID != d2.ID {
		t.Errorf("for order, oldest first: %+v %v", forOrder, err)
	}
	_, err = s.Delivery(ctx, "nope")
	wantCode(t, err, model.CodeNotFound)
}

// plannedDelivery: a delivery held for the receiving window (S2) is a queued row with its planned
// time; the delivery job's insert at the window claims that row (same id, no second row), a
// retried insert is refused, and planned rows nobody claimed are skipped with the reason.
func plannedDelivery(t *testing.T, s *store.Store) {
	ctx := context.Background()
	planned := at(3 * time.Hour)
	p1 := model.Delivery{NotificationID: "n9", RecipientID: "a", OrderID: "o9", Kind: "order.accepted", Channel: model.ChannelWebhook,
		Target: "ep1", NextAttemptAt: &planned, Planned: true}
	p2 := model.Delivery{NotificationID: "n9", RecipientID: "a", OrderID: "o9", Kind: "order.accepted", Channel: model.ChannelWebPush,
		Target: "sub-gone", NextAttemptAt: &planned, Planned: true}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		for _, d := range []*model.Delivery{&p1, &p2} {
			if ok, err := tx.InsertDelivery(ctx, d, T0); err != nil || !ok {
				return fmt.Errorf("planned insert: %v %v", ok, err)
			}
		}
		return nil
	})
	got, err := s.Delivery(ctx, p1.ID)
	if err != nil || got.State != model.DeliveryQueued || !got.Planned || got.NextAttemptAt == nil {
		t.Fatalf("planned row: %+v %v", got, err)
	}
	wantUTC(t, "planned next_attempt_at", *got.NextAttemptAt, planned)
	now := at(3*time.Hour + time.Minute)
	send := model.Delivery{NotificationID: "n9", RecipientID: "a", OrderID: "o9", Kind: "order.accepted", Channel: model.ChannelWebhook,
		Target: "ep1", State: model.DeliveryQueued, NextAttemptAt: &now}
	again := send
	var claimed, doubled bool
	var skipped int
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		if claimed, err = tx.InsertDelivery(ctx, &send, now); err != nil {
			return err
		}
		again.ID = ""
		if doubled, err = tx.InsertDelivery(ctx, &again, now); err != nil {
			return err
		}
		skipped, err = tx.SkipPlannedDeliveries(ctx, "n9", "subscription gone", now)
		return err
	})
	if !claimed || send.ID != p1.ID || doubled || skipped != 1 {
		t.Fatalf("claimed %v (id %s, planned %s), doubled %v, skipped %d", claimed, send.ID, p1.ID, doubled, skipped)
	}
	ds, _ := s.Deliveries(ctx, store.DeliveryFilter{NotificationID: "n9"})
	if len(ds) != 2 {
		t.Fatalf("rows of n9: %+v, want the two planned ones only", ds)
	}
	got, _ = s.Delivery(ctx, p1.ID)
	if got.Planned || got.State != model.DeliveryQueued || got.NextAttemptAt == nil {
		t.Errorf("claimed row: %+v", got)
	}
	wantUTC(t, "claimed next_attempt_at", *got.NextAttemptAt, now)
	got, _ = s.Delivery(ctx, p2.ID)
	if got.Planned || got.State != model.DeliverySkipped || got.LastError != "subscription gone" || got.NextAttemptAt != nil {
		t.Errorf("unclaimed row: %+v", got)
	}
}

func lastSeqs(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ids := make([]string, 0, 1200)
	for i := range 1200 {
		ids = append(ids, "p"+string(rune('a'+i%26))+time.Duration(i).String())
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		for i, id := range []string{ids[0], ids[0], ids[700], ids[1199]} {
			if _, err := tx.AppendEvent(ctx, id, "test", map[string]int{"i": i}, T0); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := s.LastSeqs(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[ids[0]] != 2 || got[ids[700]] != 1 || got[ids[1199]] != 1 {
		t.Errorf("last seqs: %v", got)
	}
}

func eventsAfterMany(t *testing.T, s *store.Store) {
	ctx := context.Background()
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		for i := range 5 {
			for _, id := range []string{"a", "b", "c"} {
				if _, err := tx.AppendEvent(ctx, id, "test", map[string]int{"i": i}, at(time.Duration(i)*time.Second)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	got, truncated, err := s.EventsAfterMany(ctx, map[string]int64{"a": 3, "b": 0, "c": 5, "nobody": 0}, 100)
	if err != nil || truncated {
		t.Fatalf("%v %v", truncated, err)
	}
	if len(got["a"]) != 2 || got["a"][0].Seq != 4 || got["a"][1].Seq != 5 || len(got["b"]) != 5 || len(got["c"]) != 0 || len(got["nobody"]) != 0 {
		t.Fatalf("events: %+v", got)
	}
	if string(got["a"][0].Data) != `{"i":3}` || got["a"][0].Type != "test" {
		t.Errorf("event: %+v", got["a"][0])
	}
	wantUTC(t, "created_at", got["a"][0].CreatedAt, at(3*time.Second))
	if _, truncated, _ := s.EventsAfterMany(ctx, map[string]int64{"a": 0, "b": 0}, 10); !truncated {
		t.Error("10 of 10 events: truncated must be reported")
	}
}

// Every notice's delivery plan reads the recipient's push subscriptions and the active webhook
// endpoints through the node's read cache: each write through this node is seen by the next read,
// a rolled-back one never.
func deliveryTargetsCacheFollowsWrites(t *testing.T, s *store.Store) {
	ctx := context.Background()
	AddPeople(t, s, Person("a", model.RoleCustomer), Person("b", model.RoleCustomer))
	subs := func(person string) int {
		t.Helper()
		got, err := s.PushSubscriptions(ctx, person)
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	active := func() []string {
		t.Helper()
		eps, err := s.WebhookEndpoints(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		ids := []string{}
		for _, e := range eps {
			ids = append(ids, e.ID)
		}
		return ids
	}
	if subs("a") != 0 || subs("b") != 0 || len(active()) != 0 { // now cached
		t.Fatal("a fresh store has subscriptions or endpoints")
	}
	sub := model.PushSubscription{PersonID: "a", Endpoint: "https://push.example/c", P256dh: "k", Auth: "x"}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.PutPushSubscription(ctx, &sub, T0)
		return err
	})
	if subs("a") != 1 {
		t.Fatal("a new subscription is not seen by the next read")
	}
	moved := model.PushSubscription{PersonID: "b", Endpoint: sub.Endpoint, P256dh: "k2", Auth: "x2"}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.PutPushSubscription(ctx, &moved, at(time.Minute))
		return err
	})
	if subs("a") != 0 || subs("b") != 1 {
		t.Fatalf("after the endpoint moved to b: a has %d, b has %d; want 0 and 1", subs("a"), subs("b"))
	}
	errRollback := fmt.Errorf("roll back")
	err := s.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.DeletePushSubscription(ctx, "b", sub.ID); err != nil {
			return err
		}
		if got, _ := tx.PushSubscriptions(ctx, "b"); len(got) != 0 {
			t.Errorf("a transaction does not see its own delete: %d", len(got))
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("InTx = %v", err)
	}
	if subs("b") != 1 {
		t.Error("a rolled-back delete is seen")
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.DeletePushSubscription(ctx, "b", sub.ID) })
	if subs("b") != 0 {
		t.Error("a committed delete is not seen by the next read")
	}

	ep := model.WebhookEndpoint{URL: "https://gw.example/c", Secret: "whsec_c", Active: true}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.InsertWebhookEndpoint(ctx, &ep, T0) })
	if got := active(); len(got) != 1 || got[0] != ep.ID {
		t.Fatalf("active endpoints after an insert: %v", got)
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.PauseWebhookEndpoint(ctx, ep.ID, at(time.Hour))
		return err
	})
	if got := active(); len(got) != 0 {
		t.Fatalf("a paused endpoint is still active: %v", got)
	}
	ep.Active = true
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.UpdateWebhookEndpoint(ctx, &ep, at(2*time.Hour))
	})
	if got := active(); len(got) != 1 {
		t.Fatalf("a re-activated endpoint is not active: %v", got)
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteWebhookEndpoint(ctx, ep.ID) })
	if got := active(); len(got) != 0 {
		t.Fatalf("a deleted endpoint is still active: %v", got)
	}
}
