package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/testkit"
)

// ordT0 is 09:00 in Shanghai on a Sunday.
var ordT0 = time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)

// ordWorld is a node with a customer, two workers, two operators, a platform key and one item.
type ordWorld struct {
	t   *testing.T
	s   *apptest.Server
	clk *testkit.Clock
	key string
}

const (
	ordCustomer = "c-lin"
	ordW1       = "w-wang"
	ordW2       = "w-zhao"
	ordOp1      = "o-zhou"
	ordOp2      = "o-qian"
	ordItem     = "daily-cleaning"
	ordArea     = "浦东新区"
)

// ordRoles are the roles of every person the worlds built on ordWorld add. It is only read while
// tests run (they run in parallel), so the support, desk and feedback worlds' people are here too.
var ordRoles = map[string]model.Role{ordCustomer: model.RoleCustomer, ordW1: model.RoleWorker, ordW2: model.RoleWorker,
	ordOp1: model.RoleOperator, ordOp2: model.RoleOperator,
	supAgentA: model.RoleAgent, supAgentB: model.RoleAgent, supCustomer: model.RoleCustomer, // deskAgent is supAgentA
	fbOther: model.RoleCustomer}

func newOrdWorld(t *testing.T, dsn string, clk *testkit.Clock) *ordWorld {
	t.Helper()
	if clk == nil {
		clk = testkit.NewClock(ordT0)
	}
	s := apptest.Start(t, dsn, apptest.Options{Now: clk.Now, ManualJobs: true})
	w := &ordWorld{t: t, s: s, clk: clk}
	ordSeed(t, s)
	w.key = s.ServiceKey("platform")
	return w
}

func ordSeed(t *testing.T, s *apptest.Server) {
	t.Helper()
	s.World().
		People(
			model.Person{ID: ordCustomer, Role: model.RoleCustomer, Name: "林晓", AvatarURL: "/avatars/c-lin.svg", Phone: "13800000001", Area: ordArea},
			model.Person{ID: ordW1, Role: model.RoleWorker, Name: "王阿姨", AvatarURL: "/avatars/w-wang.svg", Bio: "十年保洁经验", Phone: "13900000001"},
			model.Person{ID: ordW2, Role: model.RoleWorker, Name: "赵师傅", AvatarURL: "/avatars/w-zhao.svg", Bio: "家电清洗专家", Phone: "13900000002", Locale: model.LocaleEN},
			model.Person{ID: ordOp1, Role: model.RoleOperator, Name: "运营周经理"},
			model.Person{ID: ordOp2, Role: model.RoleOperator, Name: "运营钱主管"}).
		Items(model.ServiceItem{ID: ordItem, Name: model.Text{ZH: "日常保洁", EN: "Daily cleaning"},
			DurationMinutes: 180, PriceCents: 15000, Active: true})
}

// tok is a fresh token for a test person (tokens last an hour of the node's clock).
func (w *ordWorld) tok(id string) string { return w.s.Token(id, ordRoles[id]) }

// as sends a request as a test person, or with the platform key when id is "platform".
func (w *ordWorld) as(id, method, path string, body any) *apptest.Response {
	w.t.Helper()
	tok := w.key
	if id != "platform" {
		tok = w.tok(id)
	}
	return w.s.Do(method, path, tok, body)
}

// want fails unless r has status.
func (w *ordWorld) want(r *apptest.Response, status int) *apptest.Response {
	w.t.Helper()
	if r.Status != status {
		w.t.Fatalf("%s\nwant %d", r, status)
	}
	return r
}

// book creates an order for the customer at appointment.
func (w *ordWorld) book(at time.Time) string {
	w.t.Helper()
	r := w.want(w.as(ordCustomer, "POST", "/v1/orders", map[string]any{"service_item_id": ordItem, "address": "浦东新区 XX 路 12 号",
		"appointment_at": at.Format(time.RFC3339), "requirements": "厨房重点清洁"}), 201)
	return r.Str("id")
}

// bookAccepted creates an order and lets w1 accept it.
func (w *ordWorld) bookAccepted(at time.Time) string {
	w.t.Helper()
	id := w.book(at)
	w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/accept", nil), 200)
	return id
}

// inbox lists a person's notifications, oldest first, optionally of one kind.
func (w *ordWorld) inbox(personID, kind string) []model.Notification {
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
func (w *ordWorld) one(personID, kind, orderID string) model.Notification {
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
func (w *ordWorld) none(personID, kind string) {
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
func (w *ordWorld) job(key string) model.Job {
	w.t.Helper()
	j, err := w.s.Store.JobByKey(context.Background(), key)
	if err != nil {
		w.t.Fatalf("job %s: %v", key, err)
	}
	return j
}

func (w *ordWorld) reminder(orderID, audience string) (model.Job, booking.ReminderPayload) {
	w.t.Helper()
	j := w.job(booking.ReminderKey(orderID, audience))
	var p booking.ReminderPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		w.t.Fatal(err)
	}
	return j, p
}

func (w *ordWorld) order(orderID string) model.Order {
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
func (w *ordWorld) startCode(orderID string) string {
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
func (w *ordWorld) startAs(worker, orderID string) {
	w.t.Helper()
	tok := w.s.Token(worker, model.RoleWorker)
	w.want(w.s.Do("POST", "/v1/orders/"+orderID+"/check-in", tok, nil), 200)
	w.want(w.s.Do("POST", "/v1/orders/"+orderID+"/start", tok, map[string]any{"code": w.startCode(orderID)}), 200)
}
