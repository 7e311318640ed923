package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/testkit"
)

// ordT0 is 09:00 in Shanghai on a Sunday.
var ordT0 = time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)

const (
	ordCustomer = "c-lin"
	ordW1       = "w-wang"
	ordW2       = "w-zhao"
	ordOp1      = "o-zhou"
	ordOp2      = "o-qian"
	ordItem     = "daily-cleaning"
	ordArea     = "浦东新区"
)

// newOrdWorld is the order world: a world (at clk, or a new clock at ordT0) with its cast (seedOrders).
func newOrdWorld(t *testing.T, dsn string, clk *testkit.Clock) *world {
	t.Helper()
	w := newWorld(t, dsn, worldOptions{Clock: clk})
	w.seedOrders()
	return w
}

// seedOrders adds the order world's cast: a customer, two workers, two operators and one item.
func (w *world) seedOrders() {
	w.t.Helper()
	w.people(
		model.Person{ID: ordCustomer, Role: model.RoleCustomer, Name: "林晓", AvatarURL: "/avatars/c-lin.svg", Phone: "13800000001", Area: ordArea},
		model.Person{ID: ordW1, Role: model.RoleWorker, Name: "王阿姨", AvatarURL: "/avatars/w-wang.svg", Bio: "十年保洁经验", Phone: "13900000001"},
		model.Person{ID: ordW2, Role: model.RoleWorker, Name: "赵师傅", AvatarURL: "/avatars/w-zhao.svg", Bio: "家电清洗专家", Phone: "13900000002", Locale: model.LocaleEN},
		model.Person{ID: ordOp1, Role: model.RoleOperator, Name: "运营周经理"},
		model.Person{ID: ordOp2, Role: model.RoleOperator, Name: "运营钱主管"})
	w.seed().Items(model.ServiceItem{ID: ordItem, Name: model.Text{ZH: "日常保洁", EN: "Daily cleaning"},
		DurationMinutes: 180, PriceCents: 15000, Active: true})
}

// book creates an order for the customer at appointment.
func (w *world) book(at time.Time) string {
	w.t.Helper()
	r := w.want(w.as(ordCustomer, "POST", "/v1/orders", map[string]any{"service_item_id": ordItem, "address": "浦东新区 XX 路 12 号",
		"appointment_at": at.Format(time.RFC3339), "requirements": "厨房重点清洁"}), 201)
	return r.Str("id")
}

// bookAccepted creates an order and lets w1 accept it.
func (w *world) bookAccepted(at time.Time) string {
	w.t.Helper()
	id := w.book(at)
	w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/accept", nil), 200)
	return id
}

// inbox lists a person's notifications, oldest first, optionally of one kind.
func (w *world) inbox(personID, kind string) []model.Notification {
	w.t.Helper()
	ns, err := w.s.Store.RecentNotifications(context.Background(), personID, 500)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []model.Notification
	for i := len(ns) - 1; i >= 0; i-- {
		if kind == "" || ns[i].Kind == kind {
			out = append(out, ns[i])
		}
	}
	return out
}

// one fails unless the person has exactly one notification of kind (about order, if given), and returns it.
func (w *world) one(personID, kind, orderID string) model.Notification {
	w.t.Helper()
	var got []model.Notification
	for _, n := range w.inbox(personID, kind) {
		if orderID == "" || n.OrderID == orderID {
			got = append(got, n)
		}
	}
	if len(got) != 1 {
		w.t.Fatalf("%s has %d %s notifications about %s, want 1: %+v", personID, len(got), kind, orderID, got)
	}
	return got[0]
}

// none fails if the person has any notification of kind.
func (w *world) none(personID, kind string) {
	w.t.Helper()
	if got := w.inbox(personID, kind); len(got) != 0 {
		w.t.Fatalf("%s has %d %s notifications, want none: %+v", personID, len(got), kind, got)
	}
}

func ordData(t *testing.T, n model.Notification) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(n.Data, &m); err != nil {
		t.Fatalf("data of %s: %v", n.Kind, err)
	}
	return m
}

// job returns the job with key.
func (w *world) job(key string) model.Job {
	w.t.Helper()
	j, err := w.s.Store.JobByKey(context.Background(), key)
	if err != nil {
		w.t.Fatalf("job %s: %v", key, err)
	}
	return j
}

func (w *world) reminder(orderID, audience string) (model.Job, booking.ReminderPayload) {
	w.t.Helper()
	j := w.job(booking.ReminderKey(orderID, audience))
	var p booking.ReminderPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		w.t.Fatal(err)
	}
	return j, p
}

func (w *world) order(orderID string) model.Order {
	w.t.Helper()
	o, err := w.s.Store.Order(context.Background(), orderID)
	if err != nil {
		w.t.Fatal(err)
	}
	return o
}

func ordContains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s %q lacks %q", what, s, sub)
		}
	}
}

func ordIdem(key string) http.Header { return http.Header{"Idempotency-Key": {key}} }

// ordSoon is an appointment 20 minutes after ordT0: inside the start window at once (Y4, issue
// 15 item 7: a service starts only around its appointment).
var ordSoon = ordT0.Add(20 * time.Minute)

// startCode is the start code the order's customer is shown after the worker's check-in ("" when
// there is none).
func (w *world) startCode(orderID string) string {
	w.t.Helper()
	c := w.order(orderID).CustomerID
	r := w.want(w.s.Do("GET", "/v1/orders/"+orderID, w.s.Token(c, model.RoleCustomer), nil), 200)
	var v struct {
		Visit *struct {
			StartCode string `json:"start_code"`
		} `json:"visit"`
	}
	r.Decode(w.t, &v)
	if v.Visit == nil {
		return ""
	}
	return v.Visit.StartCode
}

// startAs takes an accepted order through the door (Y4): its worker checks in, the customer reads
// out the start code, the worker types it in and the service starts. The clock must be inside
// the start window.
func (w *world) startAs(worker, orderID string) {
	w.t.Helper()
	tok := w.s.Token(worker, model.RoleWorker)
	w.want(w.s.Do("POST", "/v1/orders/"+orderID+"/check-in", tok, nil), 200)
	w.want(w.s.Do("POST", "/v1/orders/"+orderID+"/start", tok, map[string]any{"code": w.startCode(orderID)}), 200)
}
