package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/deliver"
	"github.com/homebell/homebell/internal/deliver/webhook"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
)

// TestY1CrashMidChainRunsEachStepOnce runs homebell as a child process while customers ask
// their workers to move appointments a minute away; the workers never read the requests, so each
// notice's fall-back chain (Y1) runs in real time — Web Push (nobody subscribed: skipped), the SMS
// gateway, the operators — squeezed into the minute before the appointment. The process is
// SIGKILLed every few seconds throughout, during step jobs and the gateway's (slow) answers. After
// the last life has run every chain out: each chain is at its end, each step is in the trail
// exactly once, the gateway step has one delivery row and reached the gateway under one
// webhook-id, the operators were told once, and no step job is left.
func TestY1CrashMidChainRunsEachStepOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("the chain crash test runs homebell as a child process for about 90 s")
	}
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		t.Parallel()
		crashChainRun(t, dsn, 12*time.Second)
	})
}

// chainGateway is the platform's SMS gateway: slow to answer, it records every escalation it
// receives by notification, step and webhook-id.
type chainGateway struct {
	mu  sync.Mutex
	got map[string]map[int]map[string]int // notification → step → webhook-id → times received
}

func (g *chainGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body deliver.WebhookBody
	_ = json.Unmarshal(raw, &body)
	time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond) // a window for a kill mid-send
	if body.Escalation != "" {
		g.mu.Lock()
		byStep := g.got[body.Notification.ID]
		if byStep == nil {
			byStep = map[int]map[string]int{}
			g.got[body.Notification.ID] = byStep
		}
		if byStep[body.Step] == nil {
			byStep[body.Step] = map[string]int{}
		}
		byStep[body.Step][r.Header.Get(webhook.HeaderID)]++
		g.mu.Unlock()
	}
	w.WriteHeader(http.StatusOK)
}

func crashChainRun(t *testing.T, dsn string, load time.Duration) {
	gw := &chainGateway{got: map[string]map[int]map[string]int{}}
	gsrv := httptest.NewServer(gw)
	defer gsrv.Close()
	const clients = 3
	w, op := startCrashWorld(t, dsn, clients, []string{"--webhook-allow-private", "127.0.0.0/8"})
	ctx := context.Background()
	// A change this close in goes to the worker, not to an operator.
	pol := w.must("GET", "/v1/admin/policies", op, "", nil)
	pol.body["change_operator_window_minutes"] = 0
	if a := w.must("PUT", "/v1/admin/policies", op, "", pol.body); a.status != 200 {
		t.Fatalf("put policy: %d %v", a.status, a.body)
	}
	if a := w.must("POST", "/v1/admin/webhooks", op, "gateway", map[string]any{"url": gsrv.URL + "/sms",
		"kinds": []string{notify.KindChangeRequested}, "description": "SMS gateway"}); a.status != 201 {
		t.Fatalf("register the gateway: %d %v", a.status, a.body)
	}

	stopKiller := make(chan struct{})
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		for {
			select {
			case <-stopKiller:
				return
			case <-time.After(time.Duration(1000+rand.IntN(2500)) * time.Millisecond):
			}
			w.kill()
			w.start()
		}
	}()

	var (
		mu      sync.Mutex
		orders  []string
		lastEnd time.Time // the last appointment: every chain has run out by then
	)
	end := time.Now().Add(load)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cust, work := fmt.Sprintf("c-%d", c), fmt.Sprintf("w-%d", c)
			ct, wt := mintToken(t, cust, model.RoleCustomer), mintToken(t, work, model.RoleWorker)
			for i := 0; time.Now().Before(end); i++ {
				k := func(what string) string { return fmt.Sprintf("%s-%d-%s", cust, i, what) }
				at := time.Now().Add(70 * time.Second).Truncate(time.Second)
				a := w.must("POST", "/v1/orders", ct, k("book"), map[string]any{"service_item_id": "clean",
					"address": "浦东新区 XX 路 1 号", "appointment_at": at.UTC().Format(time.RFC3339)})
				if a.status != 201 {
					t.Errorf("book: %d %v", a.status, a.body)
					return
				}
				id := a.str("id")
				if a = w.must("POST", "/v1/orders/"+id+"/accept", wt, k("accept"), nil); a.status != 200 {
					t.Errorf("accept: %d %v", a.status, a.body)
					return
				}
				if a = w.must("POST", "/v1/orders/"+id+"/time-changes", ct, k("change"), map[string]any{
					"new_time": at.Add(time.Hour).UTC().Format(time.RFC3339), "reason": "晚点到家"}); a.status != 201 {
					t.Errorf("time change: %d %v", a.status, a.body)
					return
				}
				mu.Lock()
				orders = append(orders, id)
				lastEnd = at
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		close(stopKiller)
		<-killerDone
		return
	}
	// Keep killing while the chains run, then let the last life finish them.
	time.Sleep(time.Until(lastEnd.Add(-5 * time.Second)))
	close(stopKiller)
	<-killerDone
	time.Sleep(time.Until(lastEnd.Add(8 * time.Second)))
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db := st.DB()
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	// Every step is due by now; on a loaded machine the last life may still be working through
	// them (up to a minute more), and it is stopped only when none is left to run. What each
	// chain did is checked below either way.
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if count(`SELECT COUNT(*) FROM jobs WHERE kind = $1 AND state IN ('scheduled', 'running')`, notify.JobNoticeStep) == 0 {
			break
		}
	}
	w.stop()
	t.Logf("%d chains, %d SIGKILLs", len(orders), w.kills)
	if w.kills < 10 {
		t.Errorf("only %d kills: the test did not test crashes", w.kills)
	}
	redelivered := 0
	for _, order := range orders {
		var nid, state string
		var next int
		err := db.QueryRowContext(ctx, `SELECT c.notification_id, c.state, c.next_step FROM notice_chains c
			JOIN notifications n ON n.id = c.notification_id WHERE c.order_id = $1 AND n.kind = $2`,
			order, notify.KindChangeRequested).Scan(&nid, &state, &next)
		if err != nil {
			t.Errorf("order %s: no chain for the time change: %v", order, err)
			continue
		}
		if state != model.ChainActive || next != 3 {
			t.Errorf("order %s: chain %s at step %d, want active (unread) at its end (3)", order, state, next)
		}
		rows, err := db.QueryContext(ctx, `SELECT step, event FROM notice_trail WHERE notification_id = $1 ORDER BY created_at, id`, nid)
		if err != nil {
			t.Fatal(err)
		}
		var trail []string
		for rows.Next() {
			var step, event string
			if err := rows.Scan(&step, &event); err != nil {
				t.Fatal(err)
			}
			trail = append(trail, step+" "+event)
		}
		rows.Close()
		if got := strings.Join(trail, ", "); got != "inapp sent, webpush skipped, gateway sent, operators sent" {
			t.Errorf("order %s: trail %q", order, got)
		}
		if n := count(`SELECT COUNT(*) FROM deliveries WHERE notification_id = $1 AND channel = 'webhook' AND step = 2 AND state = 'sent'`, nid); n != 1 ||
			count(`SELECT COUNT(*) FROM deliveries WHERE notification_id = $1 AND step > 0`, nid) != 1 {
			t.Errorf("order %s: %d sent gateway-step deliveries (%d step deliveries in all), want 1", order, n,
				count(`SELECT COUNT(*) FROM deliveries WHERE notification_id = $1 AND step > 0`, nid))
		}
		gw.mu.Lock()
		ids := gw.got[nid][2]
		steps := len(gw.got[nid])
		gw.mu.Unlock()
		if len(ids) != 1 || steps != 1 {
			t.Errorf("order %s: the gateway got the escalation under %d webhook-id(s) (steps %d), want 1", order, len(ids), steps)
		}
		for _, n := range ids {
			redelivered += n - 1
		}
		if n := count(`SELECT COUNT(*) FROM notifications WHERE recipient_id = 'o-crash' AND kind = $1 AND order_id = $2`,
			notify.KindNoticeUnread, order); n != 1 {
			t.Errorf("order %s: the operator was told %d times, want 1", order, n)
		}
	}
	// A webhook whose answer the kill cut off goes again under the same webhook-id (at least once;
	// the gateway drops the repeat by its id).
	t.Logf("%d escalation webhooks repeated under their own id after a kill", redelivered)
	if n := count(`SELECT COUNT(*) FROM jobs WHERE kind = $1 AND state IN ('scheduled', 'running')`, notify.JobNoticeStep); n != 0 {
		t.Errorf("%d chain step jobs left", n)
	}
	if n := count(`SELECT COUNT(*) FROM jobs WHERE state = 'running'`); n != 0 {
		t.Errorf("%d jobs still claimed after the last life stopped", n)
	}
}
