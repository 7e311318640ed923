package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/config"
	"github.com/homebell/homebell/internal/hub"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/testkit"
)

// world is the one HTTP test world of the app's tests: a whole node (apptest.Start) on SQLite or
// PostgreSQL with a settable clock and jobs run by hand, a service key for the platform, and the
// roles of its people, so a test acts as anybody by id:
//
//	storetest.Dialects(t, func(t *testing.T, dsn string) {
//		w := newWorld(t, dsn, worldOptions{})
//		w.people(model.Person{ID: "c-1", Role: model.RoleCustomer, Name: "林晓"})
//		w.seed().Items(item) // testkit's builder, stamped at the world's clock
//		r := w.want(w.as("c-1", "GET", "/v1/me", nil), 200)
//		w.clk.Add(24 * time.Hour)
//		w.runJobs()
//	})
//
// Everything a world knows is its own: tests that build worlds run in parallel. The order world
// (newOrdWorld: a customer, two workers, two operators and an item, see orders_helpers_test.go)
// and the household, campaign, support, feedback, permission and WeChat worlds are this world
// with a cast of their own.
type world struct {
	t   *testing.T
	s   *apptest.Server
	clk *testkit.Clock
	key string // the platform's service key; as("platform", …) sends it

	mu    sync.Mutex
	roles map[string]model.Role // by person id: those added through people, and those tok looked up
}

// worldOptions change how a world's node starts; the zero value is a node at ordT0.
type worldOptions struct {
	Clock  *testkit.Clock // the node's clock (e.g. shared with a second node); a new one at Start when nil
	Start  time.Time      // where a new clock starts; ordT0 when zero
	Config func(*config.Config)
	Log    *slog.Logger
	Hub    hub.Options
}

// newWorld starts a node on dsn (see storetest.Dialects) and a platform key for it; the node
// stops when the test ends. Nobody is in it yet.
func newWorld(t *testing.T, dsn string, opt worldOptions) *world {
	t.Helper()
	clk := opt.Clock
	if clk == nil {
		start := opt.Start
		if start.IsZero() {
			start = ordT0
		}
		clk = testkit.NewClock(start)
	}
	s := apptest.Start(t, dsn, apptest.Options{Now: clk.Now, ManualJobs: true, Config: opt.Config, Log: opt.Log, Hub: opt.Hub})
	return &world{t: t, s: s, clk: clk, key: s.ServiceKey("platform"), roles: map[string]model.Role{}}
}

// seed is testkit's builder on the world's store, stamped at the world's clock (service items,
// orders, preferences, settings; people go through w.people so their role is known).
func (w *world) seed() *testkit.World { return w.s.World() }

// people stores people straight in the store (defaults filled in) and remembers their roles.
func (w *world) people(ps ...model.Person) *world {
	w.t.Helper()
	w.seed().People(ps...)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range ps {
		w.roles[p.ID] = p.Role
	}
	return w
}

// role is a person's role: as added through people, else as stored (looked up once).
func (w *world) role(id string) model.Role {
	w.t.Helper()
	w.mu.Lock()
	r, ok := w.roles[id]
	w.mu.Unlock()
	if ok {
		return r
	}
	p, err := w.s.Store.Person(context.Background(), id)
	if err != nil {
		w.t.Fatalf("world: the role of %s: %v", id, err)
	}
	w.mu.Lock()
	w.roles[id] = p.Role
	w.mu.Unlock()
	return p.Role
}

// tok is a fresh token for a person of the world (long-lived; see apptest.Server.Token).
func (w *world) tok(id string) string {
	w.t.Helper()
	return w.s.Token(id, w.role(id))
}

// as sends a request as a person of the world, or with the platform key when id is "platform".
func (w *world) as(id, method, path string, body any) *apptest.Response {
	w.t.Helper()
	return w.asWith(id, method, path, body, nil)
}

// asWith is as with extra headers (Idempotency-Key, Content-Type, …).
func (w *world) asWith(id, method, path string, body any, header http.Header) *apptest.Response {
	w.t.Helper()
	tok := w.key
	if id != "platform" {
		tok = w.tok(id)
	}
	return w.s.DoWith(method, path, tok, body, header)
}

// want fails unless r has status.
func (w *world) want(r *apptest.Response, status int) *apptest.Response {
	w.t.Helper()
	if r.Status != status {
		w.t.Fatalf("%s\nwant %d", r, status)
	}
	return r
}

// runJobs runs the jobs due at the world's clock now and returns how many ran.
func (w *world) runJobs() int {
	w.t.Helper()
	return w.s.RunJobs(w.t)
}

// drain runs jobs due now until none is left (a job may schedule more that are due at once, as a
// campaign's go-live schedules batches, which schedule sends).
func (w *world) drain() {
	w.t.Helper()
	for range 20 {
		if w.runJobs() == 0 {
			return
		}
	}
}

// stream opens a person's WebSocket stream (after < 0: from now on, else replaying the log after
// that seq) and closes it when the test ends.
func (w *world) stream(ctx context.Context, id string, after int64) *wsStream {
	w.t.Helper()
	s, err := dialWS(ctx, w.s, w.tok(id), after, nil)
	if err != nil {
		w.t.Fatalf("world: the stream of %s: %v", id, err)
	}
	w.t.Cleanup(func() { s.c.CloseNow() })
	return s
}

// eventually polls cond every 20 ms until it holds, and fails the test if it does not within
// 10 s: the barrier for what happens on a goroutine of the node's own (presence hooks, counters).
func (w *world) eventually(what string, cond func() bool) {
	w.t.Helper()
	eventually(w.t, 10*time.Second, what, cond)
}

// eventually polls cond every 20 ms until it holds, and fails t if it does not within timeout.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Problem documents (RFC 9457) as every test reads them.

// wantProblem fails unless r is a problem document with status and code.
func wantProblem(t *testing.T, r *apptest.Response, status int, code model.Code) {
	t.Helper()
	if r.Status != status || r.Code() != string(code) {
		t.Fatalf("%s\nwant %d %s", r, status, code)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	if got, _ := r.JSON["status"].(float64); int(got) != status || r.Str("title") == "" || r.Str("type") == "" {
		t.Errorf("problem document lacks status/title/type: %s", r.Body)
	}
}

// wantFields fails unless r is a 400 invalid problem whose errors name each of fields.
func wantFields(t *testing.T, r *apptest.Response, fields ...string) {
	t.Helper()
	wantProblem(t, r, 400, model.CodeInvalid)
	got := map[string]bool{}
	errs, _ := r.JSON["errors"].([]any)
	for _, e := range errs {
		m, _ := e.(map[string]any)
		got[fmt.Sprint(m["field"])] = true
	}
	for _, f := range fields {
		if !got[f] {
			t.Errorf("problem does not name %s: %s", f, r.Body)
		}
	}
}

// problemFields are the distinct fields a problem document's errors name, sorted.
func problemFields(r *apptest.Response) []string {
	var out []string
	errs, _ := r.JSON["errors"].([]any)
	for _, e := range errs {
		m, _ := e.(map[string]any)
		f, _ := m["field"].(string)
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}
