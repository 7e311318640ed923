package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/jobs"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func TestEveryKindRendersInBothLanguages(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, storetest.SQLitePath(t))
	st.Now = func() time.Time { return t0 }
	zh := storetest.Person("zh", model.RoleCustomer)
	en := storetest.Person("en", model.RoleWorker)
	en.Locale = model.LocaleEN
	en.TimeZone = "America/New_York"
	storetest.AddPeople(t, st, zh, en)
	svc := &notify.Service{Store: st, Jobs: jobs.New(st, func() time.Time { return t0 }, nil), Now: func() time.Time { return t0 }}
	vars := map[string]any{"worker_name": "王阿姨", "item": "日常保洁", "address": "浦东新区", "appointment": t0.Add(26 * time.Hour),
		"old_time": t0.Add(26 * time.Hour), "new_time": t0.Add(50 * time.Hour), "reason": "堵车", "requester_name": "林晓",
		"refund": true, "refund_cents": int64(12345), "refund_eta": t0.Add(72 * time.Hour), "text": "好的", "title": "满减",
		"sender_name": "王阿姨", "customer_name": "林晓", "rating": 5, "endpoint": "https://x", "error": "503", "requirements": "厨房"}
	for _, k := range notify.Kinds() {
		for _, aud := range []string{"customer", "worker", "operator"} {
			err := st.InTx(context.Background(), func(tx *store.Tx) error {
				ns, err := svc.Notify(context.Background(), tx, notify.Event{Kind: k.ID, Key: "k-" + aud, OrderID: "o1", Vars: vars,
					Recipients: []notify.Recipient{{PersonID: "zh", Audience: aud}, {PersonID: "en", Audience: aud}}})
				if err != nil {
					return err
				}
				for _, n := range ns {
					if n.Title == "" || n.Body == "" || strings.Contains(n.Body, "<no value>") {
						t.Errorf("%s/%s to %s: title %q body %q", k.ID, aud, n.RecipientID, n.Title, n.Body)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatalf("%s: %v", k.ID, err)
			}
		}
	}
	got, err := st.RecentNotifications(context.Background(), "en", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var sawNY bool
	for _, n := range got {
		if n.Kind == notify.KindOrderAccepted && strings.Contains(n.Body, "Wed 25 Nov 06:00") {
			sawNY = true // 11:00 UTC is 06:00 in New York, in English
		}
	}
	if !sawNY {
		t.Errorf("English recipient in New York did not get local time; bodies: %v", got[0].Body)
	}
	zhs, _ := st.RecentNotifications(context.Background(), "zh", 1000)
	for _, n := range zhs {
		if n.Kind == notify.KindOrderCancelled && !strings.Contains(n.Body, "¥123.45") {
			t.Errorf("cancellation lacks refund amount: %q", n.Body)
		}
	}
}

func TestNotifySameKeyTellsOnce(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, storetest.SQLitePath(t))
	st.Now = func() time.Time { return t0 }
	storetest.AddPeople(t, st, storetest.Person("c", model.RoleCustomer))
	svc := &notify.Service{Store: st, Jobs: jobs.New(st, func() time.Time { return t0 }, nil), Now: func() time.Time { return t0 }}
	var woken []string
	svc.Wake = func(ids ...string) { woken = append(woken, ids...) }
	ev := notify.Event{Kind: notify.KindServiceCompleted, Key: "o1", OrderID: "o1", Recipients: []notify.Recipient{{PersonID: "c"}},
		Vars: map[string]any{"worker_name": "W", "item": "I"}}
	for range 2 {
		if err := st.InTx(context.Background(), func(tx *store.Tx) error { _, err := svc.Notify(context.Background(), tx, ev); return err }); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := st.CountNotifications(context.Background(), "c"); n != 1 {
		t.Fatalf("notifications = %d, want 1", n)
	}
	evs, _ := st.EventsAfter(context.Background(), "c", 0, 10)
	if len(evs) != 1 || evs[0].Seq != 1 || evs[0].Type != model.EventNotification {
		t.Fatalf("events = %+v", evs)
	}
	if len(woken) != 1 || woken[0] != "c" {
		t.Fatalf("woken = %v", woken)
	}
}

func TestNotifySchedulesOffAppOnlyWithSomewhereToGo(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, storetest.SQLitePath(t))
	st.Now = func() time.Time { return t0 }
	storetest.AddPeople(t, st, storetest.Person("c1", model.RoleCustomer), storetest.Person("c2", model.RoleCustomer))
	svc := &notify.Service{Store: st, Jobs: jobs.New(st, func() time.Time { return t0 }, nil), Now: func() time.Time { return t0 }, OffApp: true}
	tell := func(key, who string) {
		t.Helper()
		ev := notify.Event{Kind: notify.KindServiceCompleted, Key: key, Recipients: []notify.Recipient{{PersonID: who}},
			Vars: map[string]any{"worker_name": "W", "item": "I"}}
		if err := st.InTx(context.Background(), func(tx *store.Tx) error { _, err := svc.Notify(context.Background(), tx, ev); return err }); err != nil {
			t.Fatal(err)
		}
	}
	deliverJobs := func(who string) int {
		ns, _ := st.RecentNotifications(context.Background(), who, 100)
		n := 0
		for _, x := range ns {
			if _, err := st.JobByKey(context.Background(), "deliver:"+x.ID); err == nil {
				n++
			}
		}
		return n
	}
	tell("a", "c1")
	if n := deliverJobs("c1"); n != 0 {
		t.Fatalf("no push subscription and no webhook, yet %d delivery jobs", n)
	}
	if err := st.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.PutPushSubscription(context.Background(), &model.PushSubscription{PersonID: "c2", Endpoint: "https://push.example/1", P256dh: "k", Auth: "a"}, t0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	tell("b", "c2")
	if n := deliverJobs("c2"); n != 1 {
		t.Fatalf("a person with a push subscription got %d delivery jobs, want 1", n)
	}
}

// NotifyMany writes what Notify writes for each event — the same rows, event-log entries in
// order with consecutive seqs, delivery jobs only where they can go — and tells nobody twice.
func TestNotifyManyMatchesNotify(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) { notifyManyMatchesNotify(t, dsn) })
}

func notifyManyMatchesNotify(t *testing.T, dsn string) {
	st := storetest.Open(t, dsn)
	st.Now = func() time.Time { return t0 }
	en := storetest.Person("en", model.RoleCustomer)
	en.Locale = model.LocaleEN
	storetest.AddPeople(t, st, storetest.Person("one", model.RoleCustomer), storetest.Person("many", model.RoleCustomer),
		storetest.Person("w", model.RoleWorker), en)
	ctx := context.Background()
	if err := st.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.PutPushSubscription(ctx, &model.PushSubscription{PersonID: "many", Endpoint: "https://push.example/1", P256dh: "k", Auth: "a"}, t0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	svc := &notify.Service{Store: st, Jobs: jobs.New(st, func() time.Time { return t0 }, nil), Now: func() time.Time { return t0 }, OffApp: true}
	var published map[string][]model.Event
	svc.Publish = func(evs map[string][]model.Event) { published = evs }
	vars := map[string]any{"worker_name": "W", "item": "I", "reason": "台风", "refund": true, "refund_cents": int64(100), "refund_eta": t0}
	var evs []notify.Event
	for i, who := range []string{"one", "many", "many", "many", "en"} {
		rcs := []notify.Recipient{{PersonID: who, Audience: "customer"}, {PersonID: who}} // the second is the same person: told once
		if i == 1 {
			rcs = append(rcs, notify.Recipient{PersonID: "w", Audience: "worker"})
		}
		evs = append(evs, notify.Event{Kind: notify.KindOrderCancelled, Key: "c" + string(rune('a'+i)), OrderID: "o" + string(rune('a'+i)),
			Recipients: rcs, Vars: vars, Data: map[string]any{"force_majeure": true}})
	}
	tell := func() []model.Notification {
		var ns []model.Notification
		if err := st.InTx(ctx, func(tx *store.Tx) error {
			var err error
			ns, err = svc.NotifyMany(ctx, tx, evs)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return ns
	}
	ns := tell()
	if len(ns) != 6 {
		t.Fatalf("told %d, want 6 (5 events, one with a worker too)", len(ns))
	}
	for _, n := range ns {
		if n.Kind != notify.KindOrderCancelled || !strings.Contains(n.Body, "台风") && n.RecipientID != "en" {
			t.Errorf("notification %+v", n)
		}
		if n.RecipientID == "en" && !strings.Contains(n.Title+n.Body, "cancel") {
			t.Errorf("English recipient got %q / %q", n.Title, n.Body)
		}
		if !strings.Contains(string(n.Data), `"order_id"`) {
			t.Errorf("data without order_id: %s", n.Data)
		}
	}
	if e := published["many"]; len(e) != 3 || e[0].Seq != 1 || e[1].Seq != 2 || e[2].Seq != 3 {
		t.Fatalf("many's published entries %+v", e)
	}
	logged, _ := st.EventsAfter(ctx, "many", 0, 10)
	if len(logged) != 3 || logged[2].Seq != 3 || logged[0].Type != model.EventNotification {
		t.Fatalf("many's event log %+v", logged)
	}
	// Delivery jobs: only for the person with a push subscription (nowhere else to go).
	for _, n := range ns {
		_, err := st.JobByKey(ctx, "deliver:"+n.ID)
		if (err == nil) != (n.RecipientID == "many") {
			t.Errorf("delivery job for %s: %v", n.RecipientID, err)
		}
	}
	// Again: told already, nothing new; then Notify for one of them adds nothing either.
	published = nil
	if again := tell(); len(again) != 0 || published != nil {
		t.Fatalf("told again: %d, published %v", len(again), published)
	}
	if err := st.InTx(ctx, func(tx *store.Tx) error {
		ns, err := svc.Notify(ctx, tx, evs[0])
		if len(ns) != 0 {
			t.Errorf("Notify after NotifyMany told %d", len(ns))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// A later single telling continues the sequence.
	if err := st.InTx(ctx, func(tx *store.Tx) error {
		_, err := svc.Notify(ctx, tx, notify.Event{Kind: notify.KindServiceCompleted, Key: "later", Recipients: []notify.Recipient{{PersonID: "many"}}, Vars: vars})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if logged, _ := st.EventsAfter(ctx, "many", 3, 10); len(logged) != 1 || logged[0].Seq != 4 {
		t.Fatalf("after the batch: %+v", logged)
	}
}

// A thread notice told with Log collects its realtime entry for the caller instead of writing or
// publishing it, marked SameCounts when it renewed an entry that was unread already.
func TestNotifyThreadLogCollectsTheEntry(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, storetest.SQLitePath(t))
	st.Now = func() time.Time { return t0 }
	storetest.AddPeople(t, st, storetest.Person("w", model.RoleWorker))
	svc := &notify.Service{Store: st, Jobs: jobs.New(st, func() time.Time { return t0 }, nil), Now: func() time.Time { return t0 }}
	published := 0
	svc.Publish = func(map[string][]model.Event) { published++ }
	tell := func() []store.NewEventRecord {
		t.Helper()
		var log []store.NewEventRecord
		err := st.InTx(context.Background(), func(tx *store.Tx) error {
			_, err := svc.Notify(context.Background(), tx, notify.Event{Kind: notify.KindChatMessage, Key: "conv-1",
				Recipients: []notify.Recipient{{PersonID: "w", Audience: "worker"}},
				Vars:       map[string]any{"sender_name": "林晓", "text": "在吗", "count": 1, "many": false},
				Thread:     &notify.Thread{Grace: 10 * time.Second, Every: time.Minute}, Log: &log})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return log
	}
	first, second := tell(), tell()
	if len(first) != 1 || first[0].PersonID != "w" || first[0].Type != model.EventNotification || first[0].SameCounts {
		t.Errorf("first telling logged %+v, want one notification entry for w that changes the counts", first)
	}
	if len(second) != 1 || !second[0].SameCounts {
		t.Errorf("second telling logged %+v, want one entry that leaves the counts", second)
	}
	if last, err := st.LastSeq(context.Background(), "w"); err != nil || last != 0 || published != 0 {
		t.Errorf("the log has %d entries (%v), %d publishes; want none written or published by Notify", last, err, published)
	}
}
