package app_test

// Web Push and webhook deliveries (X2) over the whole program: push services and gateways are
// httptest servers on 127.0.0.1; the push service checks VAPID and decrypts like a browser
// (helpers adapted from internal/deliver/webpush's tests), the gateway verifies signatures.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/deliver"
	"github.com/homebell/homebell/internal/deliver/webhook"
	"github.com/homebell/homebell/internal/deliver/webpush/webpushtest"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/notify/planner"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
	"github.com/homebell/homebell/internal/testkit"
)

// x2Node starts a node with an injected clock (10:00 in Shanghai) whose jobs run only when the
// test says, with a customer (token returned), an operator and a platform service key.
func x2Node(t *testing.T, dsn string) (s *apptest.Server, clk *testkit.Clock, customer, operator, key string) {
	t.Helper()
	return x2NodeAt(t, dsn, time.Now().UTC().Truncate(time.Second))
}

func x2NodeAt(t *testing.T, dsn string, start time.Time) (s *apptest.Server, clk *testkit.Clock, customer, operator, key string) {
	t.Helper()
	w := newWorld(t, dsn, worldOptions{Start: start}).people(
		model.Person{ID: "c-1", Role: model.RoleCustomer, Name: "林晓", Phone: "13800000001"},
		model.Person{ID: "op-1", Role: model.RoleOperator, Name: "运营"})
	return w.s, w.clk, w.tok("c-1"), w.tok("op-1"), w.s.ServiceKey("gateway")
}

// completeOrder tells the customer their service on order is complete (a high-importance,
// service-category notification), as booking would.
func completeOrder(t *testing.T, s *apptest.Server, order string) model.Notification {
	t.Helper()
	ctx := context.Background()
	var out []model.Notification
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.App.Notify.Notify(ctx, tx, notify.Event{Kind: notify.KindServiceCompleted, Key: order, OrderID: order,
			Recipients: []notify.Recipient{{PersonID: "c-1", Audience: "customer"}},
			Vars:       map[string]any{"worker_name": "王阿姨", "item": "日常保洁"}})
		return err
	})
	if err != nil || len(out) != 1 {
		t.Fatalf("notify: %v %v", out, err)
	}
	return out[0]
}

// runDue runs due jobs until none is left (a delivery job schedules its send jobs, due now).
func runDue(t *testing.T, s *apptest.Server) int {
	t.Helper()
	total := 0
	for range 10 {
		n := s.RunJobs(t)
		if n == 0 {
			break
		}
		total += n
	}
	return total
}

// subscribe registers a browser's push subscription at endpoint for the caller.
func subscribe(t *testing.T, s *apptest.Server, token, endpoint string, b webpushtest.Browser) *apptest.Response {
	t.Helper()
	return s.Do("POST", "/v1/me/push-subscriptions", token, map[string]any{"endpoint": endpoint,
		"keys": map[string]string{"p256dh": b.P256dh(), "auth": b.AuthSecret()}})
}

func deliveries(t *testing.T, s *apptest.Server, token, query string) []model.Delivery {
	t.Helper()
	r := s.Do("GET", "/v1/admin/deliveries?"+query, token, nil)
	if r.Status != 200 {
		t.Fatalf("%s", r)
	}
	var p struct {
		Items []model.Delivery `json:"items"`
	}
	r.Decode(t, &p)
	return p.Items
}

// X2: a browser that subscribed receives the notification by Web Push, encrypted for it and
// signed with the server's VAPID key, with urgency and TTL from its importance and the alert
// style in the payload.
func TestX2WebPushDelivered(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		s, _, customer, operator, _ := x2Node(t, dsn)
		r := s.Do("GET", "/v1/push/vapid-public-key", customer, nil)
		vapid := r.Str("public_key")
		if r.Status != 200 || len(vapid) != 87 {
			t.Fatalf("%s", r)
		}
		b := webpushtest.NewBrowser(t)
		ps := webpushtest.NewPushService(t, vapid, b)
		r = subscribe(t, s, customer, ps.URL()+"/push/sub-1", b)
		if r.Status != 201 || r.Str("id") == "" {
			t.Fatalf("%s", r)
		}
		id := r.Str("id")
		if r := subscribe(t, s, customer, ps.URL()+"/push/sub-1", b); r.Status != 200 || r.Str("id") != id {
			t.Fatalf("subscribing the same endpoint again: %s, want 200 with id %s", r, id)
		}
		if r := s.Do("POST", "/v1/me/push-subscriptions", customer, map[string]any{"endpoint": "http://push.example.com/x",
			"keys": map[string]string{"p256dh": "AAAA", "auth": "AAAA"}}); r.Status != 400 {
			t.Fatalf("an invalid subscription: %s", r)
		}
		if items := s.Do("GET", "/v1/me/push-subscriptions", customer, nil).Items(); len(items) != 1 {
			t.Fatalf("subscriptions: %v", items)
		}

		n := completeOrder(t, s, "o-1")
		runDue(t, s)
		got := ps.Received()
		if len(got) != 1 {
			t.Fatalf("the push service received %d messages, want 1", len(got))
		}
		var p struct {
			Title, Body, Kind, Importance, Alert, NotificationID string
			Data                                                 map[string]any
		}
		if err := json.Unmarshal(got[0].Plaintext, &p); err != nil {
			t.Fatalf("decrypted payload %q: %v", got[0].Plaintext, err)
		}
		if p.Title != n.Title || p.Body != n.Body || p.Kind != notify.KindServiceCompleted || p.Importance != "high" ||
			p.Alert != "sound" || p.Data["order_id"] != "o-1" {
			t.Fatalf("decrypted payload %s does not carry the notification %+v", got[0].Plaintext, n)
		}
		if u, ttl := got[0].Header.Get("Urgency"), got[0].Header.Get("TTL"); u != "high" || ttl != "14400" {
			t.Errorf("Urgency %q TTL %q, want high and 14400 (4 h) for a high-importance notice", u, ttl)
		}
		ds := deliveries(t, s, operator, "notification_id="+n.ID)
		if len(ds) != 1 || ds[0].State != "sent" || ds[0].Channel != "webpush" || ds[0].Target != id || ds[0].LastStatus != 201 {
			t.Fatalf("delivery log: %+v", ds)
		}
		if r := s.Do("DELETE", "/v1/me/push-subscriptions/"+id, s.Token("op-1", model.RoleOperator), nil); r.Status != 404 {
			t.Fatalf("someone else deleting the subscription: %s", r)
		}
		if r := s.Do("DELETE", "/v1/me/push-subscriptions/"+id, customer, nil); r.Status != 204 {
			t.Fatalf("%s", r)
		}
		completeOrder(t, s, "o-2")
		runDue(t, s)
		if len(ps.Received()) != 1 {
			t.Fatal("a removed subscription still receives pushes")
		}
	})
}

// X2: a push service answering 410 Gone means the browser unsubscribed: the subscription is
// removed and the delivery log says why.
func TestX2WebPushGoneRemovesSubscription(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		s, _, customer, operator, _ := x2Node(t, dsn)
		vapid := s.Do("GET", "/v1/push/vapid-public-key", customer, nil).Str("public_key")
		b := webpushtest.NewBrowser(t)
		ps := webpushtest.NewPushService(t, vapid, b)
		ps.Respond(http.StatusGone, nil)
		if r := subscribe(t, s, customer, ps.URL()+"/push/gone", b); r.Status != 201 {
			t.Fatalf("%s", r)
		}
		n := completeOrder(t, s, "o-1")
		runDue(t, s)
		if items := s.Do("GET", "/v1/me/push-subscriptions", customer, nil).Items(); len(items) != 0 {
			t.Fatalf("subscription kept after 410: %v", items)
		}
		ds := deliveries(t, s, operator, "notification_id="+n.ID)
		if len(ds) != 1 || ds[0].State != "failed" || ds[0].LastStatus != 410 || !strings.Contains(ds[0].LastError, "gone") {
			t.Fatalf("delivery log: %+v", ds)
		}
		completeOrder(t, s, "o-2")
		runDue(t, s)
		if len(ps.Received()) != 1 {
			t.Fatalf("the push service got %d messages; after 410 it should get no more", len(ps.Received()))
		}
	})
}

// X2: off-app pushes wait for the recipient's receiving window; the message center and the open
// app get the notification at once.
func TestX2WebPushWaitsForTheReceivingWindow(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		day := time.Now().UTC().Truncate(24 * time.Hour)
		// 22:00 in Shanghai; the customer takes alerts from 08:00 to 21:00.
		s, clk, customer, operator, _ := x2NodeAt(t, dsn, day.Add(14*time.Hour))
		prefs := planner.DefaultPreferences()
		prefs.Window = &planner.ReceivingWindow{Start: "08:00", End: "21:00"}
		s.World().Preferences("c-1", prefs)
		vapid := s.Do("GET", "/v1/push/vapid-public-key", customer, nil).Str("public_key")
		b := webpushtest.NewBrowser(t)
		ps := webpushtest.NewPushService(t, vapid, b)
		subscribe(t, s, customer, ps.URL()+"/push/w", b)
		n := completeOrder(t, s, "o-1")
		runDue(t, s)
		if len(ps.Received()) != 0 {
			t.Fatal("a push arrived at 22:00, outside the receiving window")
		}
		// S2: the held push is in the delivery log, queued for 08:00.
		held := deliveries(t, s, operator, "notification_id="+n.ID)
		if len(held) != 1 || held[0].State != "queued" || held[0].Channel != "webpush" || held[0].NextAttemptAt == nil ||
			!held[0].NextAttemptAt.Equal(clk.Now().Add(10*time.Hour)) || held[0].Attempts != 0 {
			t.Fatalf("before the window the log has %+v, want one push queued for 08:00", held)
		}
		clk.Add(9*time.Hour + 59*time.Minute) // 07:59
		runDue(t, s)
		if len(ps.Received()) != 0 {
			t.Fatal("a push arrived at 07:59")
		}
		clk.Add(time.Minute) // 08:00: the window opens
		runDue(t, s)
		if len(ps.Received()) != 1 {
			t.Fatalf("at 08:00 the push service has %d messages, want 1", len(ps.Received()))
		}
		// The queued row went: the same delivery, now sent — not a second one.
		if got := deliveries(t, s, operator, "notification_id="+n.ID); len(got) != 1 || got[0].ID != held[0].ID || got[0].State != "sent" {
			t.Fatalf("after the window opened the log has %+v, want the queued delivery %s sent", got, held[0].ID)
		}
	})
}

// gateway is the platform's webhook receiver: it verifies every request and answers from a script.
type gateway struct {
	srv    *httptest.Server
	clk    interface{ Now() time.Time }
	mu     sync.Mutex
	secret []byte
	answer []int // status per request; the last repeats
	got    []gatewayRequest
}

type gatewayRequest struct {
	id     string
	verify error
	body   deliver.WebhookBody
}

func newGateway(t *testing.T, clk interface{ Now() time.Time }, answers ...int) *gateway {
	g := &gateway{clk: clk, answer: answers}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		defer g.mu.Unlock()
		req := gatewayRequest{id: r.Header.Get(webhook.HeaderID), verify: webhook.Verify(g.secret, r.Header, raw, g.clk.Now(), 0)}
		_ = json.Unmarshal(raw, &req.body)
		g.got = append(g.got, req)
		status := g.answer[min(len(g.got), len(g.answer))-1]
		if req.verify != nil {
			status = http.StatusUnauthorized
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *gateway) requests() []gatewayRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]gatewayRequest(nil), g.got...)
}

// register makes the gateway an endpoint through the API and keeps the secret shown once.
func (g *gateway) register(t *testing.T, s *apptest.Server, token string, kinds []string) string {
	t.Helper()
	r := s.Do("POST", "/v1/admin/webhooks", token, map[string]any{"url": g.srv.URL + "/hook?token=abc", "kinds": kinds, "description": "SMS gateway"})
	if r.Status != 201 || !strings.HasPrefix(r.Str("secret"), "whsec_") || r.Str("id") == "" {
		t.Fatalf("%s", r)
	}
	secret, err := webhook.DecodeSecret(r.Str("secret"))
	if err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	g.secret = secret
	g.mu.Unlock()
	return r.Str("id")
}

// X2: webhooks are signed per Standard Webhooks and carry what a gateway needs (the phone for
// SMS); a failing gateway is retried with backoff, with the same webhook-id, until it accepts.
func TestX2WebhookSignedAndRetried(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		s, clk, customer, operator, key := x2Node(t, dsn)
		g := newGateway(t, clk, 503, 503, 200)
		g.register(t, s, key, []string{notify.KindServiceCompleted})
		other := newGateway(t, clk, 200)
		other.register(t, s, operator, []string{notify.KindOrderCancelled})
		if r := s.Do("POST", "/v1/admin/webhooks", customer, map[string]any{"url": "https://x.example/h"}); r.Status != 403 {
			t.Fatalf("a customer registering a webhook: %s", r)
		}
		if r := s.Do("POST", "/v1/admin/webhooks", key, map[string]any{"url": "ftp://x", "kinds": []string{"nope"}}); r.Status != 400 || len(r.JSON["errors"].([]any)) != 2 {
			t.Fatalf("invalid endpoint: %s", r)
		}
		if r := s.Do("GET", "/v1/admin/webhooks", operator, nil); r.Status != 200 || len(r.Items()) != 2 || strings.Contains(string(r.Body), "whsec_") {
			t.Fatalf("the list must not show secrets: %s", r)
		}

		n := completeOrder(t, s, "o-1")
		runDue(t, s)
		ds := deliveries(t, s, operator, "notification_id="+n.ID)
		if len(ds) != 1 || ds[0].State != "retrying" || ds[0].Attempts != 1 || ds[0].LastStatus != 503 ||
			ds[0].NextAttemptAt == nil || !ds[0].NextAttemptAt.Equal(clk.Now().Add(5*time.Second)) {
			t.Fatalf("after a 503: %+v", ds)
		}
		clk.Add(4 * time.Second)
		if n := runDue(t, s); n != 0 {
			t.Fatalf("%d jobs ran before the backoff elapsed", n)
		}
		clk.Add(time.Second) // 5 s: second attempt, 503 again; next in 30 s
		runDue(t, s)
		clk.Add(30 * time.Second)
		runDue(t, s)
		got := g.requests()
		if len(got) != 3 {
			t.Fatalf("gateway got %d requests, want 3", len(got))
		}
		for i, req := range got {
			if req.verify != nil {
				t.Fatalf("request %d: signature: %v", i, req.verify)
			}
			if req.id != ds[0].ID {
				t.Errorf("request %d: webhook-id %q, want the delivery id %s on every retry", i, req.id, ds[0].ID)
			}
		}
		b := got[2].body
		if b.Type != notify.KindServiceCompleted || b.Notification.ID != n.ID || b.Notification.Title != n.Title ||
			b.Recipient.ID != "c-1" || b.Recipient.Phone != "13800000001" || b.Recipient.Locale != "zh-CN" || b.Alert != "sound" {
			t.Fatalf("webhook body: %+v", b)
		}
		ds = deliveries(t, s, operator, "notification_id="+n.ID)
		if ds[0].State != "sent" || ds[0].Attempts != 3 || ds[0].LastStatus != 200 || ds[0].NextAttemptAt != nil {
			t.Fatalf("after the gateway accepted: %+v", ds[0])
		}
		if len(other.requests()) != 0 {
			t.Fatal("an endpoint for other kinds received the notification")
		}
	})
}

// X2: a gateway that fails for a whole retry chain (about 24 h) is paused, and operators are told.
func TestX2WebhookEndpointPausedTellsOperators(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		s, clk, _, _, key := x2Node(t, dsn) // tokens expire as the clock moves a day: read with the key
		g := newGateway(t, clk, 503)
		id := g.register(t, s, key, nil)
		n := completeOrder(t, s, "o-1")
		runDue(t, s)
		for i := 0; i < webhook.MaxAttempts+2; i++ {
			clk.Add(9 * time.Hour)
			runDue(t, s)
		}
		if len(g.requests()) != webhook.MaxAttempts {
			t.Errorf("gateway got %d attempts, want %d", len(g.requests()), webhook.MaxAttempts)
		}
		ds := deliveries(t, s, key, "notification_id="+n.ID)
		if len(ds) != 1 || ds[0].State != "failed" || ds[0].Attempts != webhook.MaxAttempts {
			t.Fatalf("delivery after the whole chain: %+v", ds)
		}
		var ep model.WebhookEndpoint
		for _, it := range s.Do("GET", "/v1/admin/webhooks", key, nil).Items() {
			if it["id"] == id {
				raw, _ := json.Marshal(it)
				_ = json.Unmarshal(raw, &ep)
			}
		}
		if ep.Active || ep.PausedAt == nil {
			t.Fatalf("endpoint not paused: %+v", ep)
		}
		told, err := s.Store.RecentNotifications(context.Background(), "op-1", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(told) != 1 || told[0].Kind != notify.KindWebhookEndpointPaused || !strings.Contains(told[0].Body, "SMS gateway") ||
			strings.Contains(told[0].Body, "token=abc") {
			t.Fatalf("operators were told: %+v", told)
		}
		// Paused: new notifications do not go to it; re-activated: they do again.
		completeOrder(t, s, "o-2")
		runDue(t, s)
		if len(g.requests()) != webhook.MaxAttempts {
			t.Fatal("a paused endpoint still receives webhooks")
		}
		if r := s.Do("PATCH", "/v1/admin/webhooks/"+id, s.Token("op-1", model.RoleOperator), map[string]any{"active": true}); r.Status != 200 || r.JSON["active"] != true {
			t.Fatalf("%s", r)
		}
		completeOrder(t, s, "o-3")
		runDue(t, s)
		if len(g.requests()) != webhook.MaxAttempts+1 {
			t.Fatal("a re-activated endpoint receives nothing")
		}
	})
}

// X2/X4: the delivery log tells operators, per notification and order, which channel and target
// got what, and how it went; people other than operators and the platform may not read it.
func TestX2DeliveryLog(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		s, clk, customer, operator, key := x2Node(t, dsn)
		vapid := s.Do("GET", "/v1/push/vapid-public-key", customer, nil).Str("public_key")
		b := webpushtest.NewBrowser(t)
		ps := webpushtest.NewPushService(t, vapid, b)
		subscribe(t, s, customer, ps.URL()+"/push/1", b)
		g := newGateway(t, clk, 400)
		hook := g.register(t, s, key, nil)
		n := completeOrder(t, s, "o-9")
		runDue(t, s)

		ds := deliveries(t, s, key, "order_id=o-9")
		if len(ds) != 2 {
			t.Fatalf("deliveries of the order: %+v", ds)
		}
		by := map[string]model.Delivery{}
		for _, d := range ds {
			by[d.Channel] = d
			if d.NotificationID != n.ID || d.RecipientID != "c-1" || d.OrderID != "o-9" || d.Kind != notify.KindServiceCompleted {
				t.Errorf("delivery %+v does not describe the notification", d)
			}
		}
		if d := by["webpush"]; d.State != "sent" || d.Attempts != 1 {
			t.Errorf("webpush: %+v", d)
		}
		if d := by["webhook"]; d.State != "failed" || d.Target != hook || d.LastStatus != 400 || !strings.Contains(d.LastError, "400") {
			t.Errorf("webhook answered 400 (not retryable): %+v", d)
		}
		if got := deliveries(t, s, operator, "state=failed"); len(got) != 1 || got[0].Channel != "webhook" {
			t.Errorf("state=failed: %+v", got)
		}
		if got := deliveries(t, s, operator, "notification_id=nope"); len(got) != 0 {
			t.Errorf("unknown notification: %+v", got)
		}
		if r := s.Do("GET", "/v1/admin/deliveries?state=lost", operator, nil); r.Status != 400 {
			t.Errorf("bad state: %s", r)
		}
		if r := s.Do("GET", "/v1/admin/deliveries", customer, nil); r.Status != 403 {
			t.Errorf("a customer reading the delivery log: %s", r)
		}
		forOrder, err := s.Store.DeliveriesForOrder(context.Background(), "o-9")
		if err != nil || len(forOrder) != 2 {
			t.Fatalf("DeliveriesForOrder: %v %v", forOrder, err)
		}
	})
}
