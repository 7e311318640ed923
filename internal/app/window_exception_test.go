package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/notify/planner"
	"github.com/homebell/homebell/internal/store/storetest"
	"github.com/homebell/homebell/internal/testkit"
)

// S2 (#11): the product note's exception — a notice about a service that starts before the
// recipient's receiving window opens goes out at once, badge only — holds for every notice about
// such a service (accepted, worker changed, assigned, time changed, cancelled), not only the
// reminder. A notice about a service after the window opens still waits for it.
func TestS2EveryNoticeAboutAServiceBeforeTheWindowGoesAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil) // 09:00 in Shanghai
		prefs := planner.DefaultPreferences()
		prefs.Window = &planner.ReceivingWindow{Start: "12:00", End: "21:00"} // opens in 3 hours
		w.s.World().Preferences(ordCustomer, prefs).Preferences(ordW2, prefs)
		gw := newGateway(t, testkit.NewClock(ordT0), 200)
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

		// A service tomorrow afternoon: its acceptance waits for the window (queued, not sent).
		later := w.bookAccepted(ordT0.Add(30 * time.Hour))
		runDue(t, w.s)
		for _, r := range gw.requests()[seen:] {
			if r.body.Recipient.ID == ordCustomer {
				t.Fatalf("a notice about tomorrow's service went out before the window: %s", r.body.Type)
			}
		}
		if q := deliveries(t, w.s, w.key, "state=queued&order_id="+later); len(q) != 1 || q[0].Kind != notify.KindOrderAccepted {
			t.Fatalf("tomorrow's acceptance: %+v, want one queued delivery", q)
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
	})
}

// S2 (#11): a delivery held for the recipient's receiving window is visible from the moment the
// notice is made — a queued row with its planned time in the delivery log and on the order's
// timeline — and that same row becomes sent when the window opens; a target gone meanwhile ends
// skipped with the reason. No delivery is ever doubled.
func TestS2HeldDeliveryIsQueuedWithItsPlannedTime(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil) // 09:00 in Shanghai
		prefs := planner.DefaultPreferences()
		prefs.Window = &planner.ReceivingWindow{Start: "12:00", End: "21:00"} // opens in 3 hours
		w.s.World().Preferences(ordCustomer, prefs)
		kinds := []string{notify.KindOrderAccepted}
		gw := newGateway(t, w.clk, 200)
		sms := gw.register(t, w.s, w.key, kinds)
		gone := newGateway(t, w.clk, 200)
		goneID := gone.register(t, w.s, w.key, kinds)

		order := w.bookAccepted(ordT0.Add(30 * time.Hour)) // tomorrow afternoon: after the window opens
		runDue(t, w.s)
		for _, r := range append(gw.requests(), gone.requests()...) {
			if r.body.Recipient.ID == ordCustomer {
				t.Fatalf("%s reached the gateway before the window opened", r.body.Type)
			}
		}
		planned := model.FormatTime(ordT0.Add(3 * time.Hour)) // 12:00 in Shanghai
		customers := func(ds []model.Delivery) map[string]model.Delivery {
			out := map[string]model.Delivery{}
			for _, d := range ds {
				if d.RecipientID != ordCustomer {
					continue
				}
				if _, twice := out[d.Target]; twice {
					t.Fatalf("two deliveries to %s: %+v", d.Target, ds)
				}
				out[d.Target] = d
			}
			return out
		}
		queued := customers(deliveries(t, w.s, w.key, "state=queued&order_id="+order))
		if len(queued) != 2 {
			t.Fatalf("queued deliveries to the customer: %+v, want one per gateway endpoint", queued)
		}
		for target, d := range queued {
			if d.Kind != notify.KindOrderAccepted || d.Channel != "webhook" || d.Attempts != 0 || d.NextAttemptAt == nil ||
				model.FormatTime(*d.NextAttemptAt) != planned {
				t.Errorf("queued delivery to %s: %+v, want order.accepted planned for %s", target, d, planned)
			}
		}
		// The operator's order timeline shows them too, planned time and all.
		tl := w.want(w.as(ordOp1, "GET", "/v1/orders/"+order+"/timeline", nil), 200)
		shown := 0
		for _, x := range tl.JSON["deliveries"].([]any) {
			d := x.(map[string]any)
			if d["recipient_id"] == ordCustomer && d["state"] == "queued" && d["next_attempt_at"] == planned {
				shown++
			}
		}
		if shown != 2 {
			t.Errorf("the order timeline shows %d queued deliveries planned for %s, want 2: %s", shown, planned, tl)
		}

		// One endpoint goes away before the window opens; at 12:01 the other's row goes.
		w.want(w.as(ordOp1, "DELETE", "/v1/admin/webhooks/"+goneID, nil), 204)
		w.clk.Set(ordT0.Add(3*time.Hour + time.Minute))
		runDue(t, w.s)
		runDue(t, w.s)
		var got []string
		for _, r := range gw.requests() {
			if r.body.Recipient.ID == ordCustomer {
				got = append(got, r.id)
			}
		}
		if len(got) != 1 || got[0] != queued[sms].ID {
			t.Fatalf("webhook-ids that reached the gateway for the customer: %v, want the queued delivery %s once", got, queued[sms].ID)
		}
		after := customers(deliveries(t, w.s, w.key, "order_id="+order))
		if len(after) != 2 {
			t.Fatalf("deliveries to the customer after the window opened: %+v, want the same two rows", after)
		}
		if d := after[sms]; d.ID != queued[sms].ID || d.State != "sent" || d.Attempts != 1 || d.NextAttemptAt != nil {
			t.Errorf("the queued delivery after the window opened: %+v, want it sent", d)
		}
		if d := after[goneID]; d.ID != queued[goneID].ID || d.State != "skipped" || !strings.Contains(d.LastError, "gone") {
			t.Errorf("the delivery to the removed endpoint: %+v, want it skipped because the endpoint is gone", d)
		}
		if n := len(deliveries(t, w.s, w.key, "state=queued&order_id="+order)); n != 0 {
			t.Errorf("%d deliveries still queued after the window opened", n)
		}
	})
}
