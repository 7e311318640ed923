package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/notify/planner"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
)

// S2 (#11): the product note's exception — a notice about a service that starts before the
// recipient's receiving window opens goes out at once, badge only — holds for every notice about
// such a service (accepted, worker changed, assigned, time changed, cancelled), not only the
// reminder. A notice about a service after the window opens still waits for it.
func TestS2EveryNoticeAboutAServiceBeforeTheWindowGoesAtOnce(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil) // 09:00 in Shanghai
		prefs := planner.DefaultPreferences()
		prefs.Window = &planner.ReceivingWindow{Start: "12:00", End: "21:00"} // opens in 3 hours
		for _, id := range []string{ordCustomer, ordW2} {
			if err := w.s.Store.InTx(context.Background(), func(tx *store.Tx) error {
				return tx.PutPreferences(context.Background(), id, prefs, w.clk.Now())
			}); err != nil {
				t.Fatal(err)
			}
		}
		gw := newGateway(t, &clock{t: ordT0}, 200)
		gw.register(t, w.s, w.key, []string{notify.KindOrderAccepted, notify.KindWorkerChanged, notify.KindOrderAssigned,
			notify.KindScheduleChanged, notify.KindOrderCancelled})
		seen := 0
		// sentNow checks that each of want (recipient → kind) reached the gateway now, badge only.
		sentNow := func(step string, want map[string]string) {
			t.Helper()
			runDue(t, w.s)
			got := map[string]string{}
			for _, r := range gw.requests()[seen:] {
				if r.body.Recipient.ID != ordCustomer && r.body.Recipient.ID != ordW2 {
					continue
				}
				got[r.body.Recipient.ID] = r.body.Type
				if r.body.Alert != "badge" {
					t.Errorf("%s: %s to %s with alert %q, want badge only outside the window", step, r.body.Type, r.body.Recipient.ID, r.body.Alert)
				}
			}
			seen = len(gw.requests())
			for who, kind := range want {
				if got[who] != kind {
					t.Errorf("%s: %s got %q at once, want %s (all sent now: %v)", step, who, got[who], kind, got)
				}
			}
		}

		order := w.bookAccepted(ordT0.Add(90 * time.Minute)) // 10:30, before the window opens
		sentNow("accepted", map[string]string{ordCustomer: notify.KindOrderAccepted})
		w.want(w.as(ordOp1, "POST", "/v1/orders/"+order+"/assign", map[string]any{"worker_id": ordW2, "reason": "王阿姨病了"}), 200)
		sentNow("reassigned", map[string]string{ordCustomer: notify.KindWorkerChanged, ordW2: notify.KindOrderAssigned})

		c := w.want(w.as(ordCustomer, "POST", "/v1/orders/"+order+"/time-changes",
			map[string]any{"new_time": ordT0.Add(2 * time.Hour).Format(time.RFC3339), "reason": "晚一点"}), 201)
		decider := ordW2
		if c.JSON["needs_operator"] == true {
			decider = ordOp1
		}
		runDue(t, w.s)
		seen = len(gw.requests())
		w.want(w.as(decider, "POST", "/v1/orders/"+order+"/time-changes/"+c.Str("id")+"/accept", nil), 200)
		sentNow("time changed", map[string]string{ordCustomer: notify.KindScheduleChanged, ordW2: notify.KindScheduleChanged})

		r := w.want(w.as(ordCustomer, "POST", "/v1/orders/"+order+"/cancel", map[string]any{"reason": "不需要了"}), 200)
		if r.Str("status") == "pending_approval" {
			w.want(w.as(ordOp1, "POST", "/v1/orders/"+order+"/cancellation/approve", nil), 200)
		}
		sentNow("cancelled", map[string]string{ordCustomer: notify.KindOrderCancelled, ordW2: notify.KindOrderCancelled})

		// A service tomorrow afternoon: its acceptance waits for the window.
		later := w.bookAccepted(ordT0.Add(30 * time.Hour))
		runDue(t, w.s)
		for _, r := range gw.requests()[seen:] {
			if r.body.Recipient.ID == ordCustomer {
				t.Fatalf("a notice about tomorrow's service went out before the window: %s", r.body.Type)
			}
		}
		// When the window opens, it goes.
		seen = len(gw.requests())
		w.clk.Set(ordT0.Add(3*time.Hour + time.Minute)) // 12:01
		runDue(t, w.s)
		got := ""
		for _, r := range gw.requests()[seen:] {
			if r.body.Recipient.ID == ordCustomer {
				got = r.body.Type
			}
		}
		if got != notify.KindOrderAccepted {
			t.Fatalf("tomorrow's acceptance after the window opened: %q reached the gateway, want %s", got, notify.KindOrderAccepted)
		}
		_ = later
	})
}
