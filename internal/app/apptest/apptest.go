// Package apptest starts a whole homebell node for a test — the real program, on a real
// listener at 127.0.0.1:0 — and gives the test a small HTTP client for it.
//
//	storetest.Dialects(t, func(t *testing.T, dsn string) {
//		s := apptest.Start(t, dsn, apptest.Options{})
//		key := s.ServiceKey("crm")
//		r := s.Do("PUT", "/v1/people/c-1", key, map[string]any{"role": "customer", "name": "林晓"})
//		if r.Status != 201 { t.Fatalf("PUT person: %s", r) }
//		me := s.Do("GET", "/v1/me", s.Token("c-1", model.RoleCustomer), nil)
//		…
//	})
//
// The node accepts HS256 tokens signed with Secret; Token mints them. It stops when the test ends.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/api/contract"
	"github.com/homebell/homebell/internal/app"
	"github.com/homebell/homebell/internal/auth"
	"github.com/homebell/homebell/internal/config"
	"github.com/homebell/homebell/internal/hub"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/testkit"
)

// Secret is the HS256 secret the test node shares with its "platform": tokens signed with it are
// accepted.
const Secret = "apptest-platform-shared-secret-0123456789"

// Options change how the node starts. The zero value is a plain node on the given database.
type Options struct {
	// Config adjusts the configuration after the test defaults are set (127.0.0.1:0, the DSN,
	// JWTSecret = Secret, a 5s shutdown timeout).
	Config func(*config.Config)
	// Now is the node's clock; time.Now when nil.
	Now func() time.Time
	// Demo seeds the demo catalogue and people and enables the development sign-in.
	Demo bool
	// Log receives the node's log; by default warnings and errors go to the test's output.
	Log *slog.Logger
	// ManualJobs stops the node from running due jobs by itself: the test moves its clock and
	// calls Server.RunJobs, so what ran is exactly what was due. The daily retention purge is then
	// not scheduled (it would be due in any test that moves the clock a day); see App.ScheduleRetention.
	ManualJobs bool
	// Hub tunes realtime streams (short heartbeats, polls and write timeouts for tests).
	Hub hub.Options
}

// Server is a running homebell node.
type Server struct {
	URL    string // http://127.0.0.1:port
	Addr   string // 127.0.0.1:port
	App    *app.App
	Store  *store.Store
	Client *http.Client

	t        testing.TB
	cancel   context.CancelFunc
	served   chan error
	stopOnce sync.Once
	stopErr  error
}

// Start opens (and migrates) the database at dsn, starts homebell on 127.0.0.1:0 and stops it
// when the test ends. Use storetest.SQLitePath or storetest.PostgresURL, or storetest.Dialects,
// for the DSN.
func Start(t testing.TB, dsn string, opt Options) *Server {
	t.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = dsn
	cfg.JWTSecret = Secret
	cfg.ShutdownTimeout = 5 * time.Second
	cfg.PushHosts = "*" // test push services listen on 127.0.0.1
	cfg.FilesDir = t.TempDir()
	// Whole-flow tests move the node's clock by days with long-lived tokens (see Token); the
	// lifetime limit itself is tested in internal/auth and internal/app.
	cfg.MaxTokenLifetime = 20 * 365 * 24 * time.Hour
	// Loopback webhook receivers of tests; the private-network refusal is tested on its own.
	cfg.WebhookAllowPrivate = "127.0.0.0/8,::1/128"
	// Flows book and change many orders quickly; the limits are tested on their own.
	cfg.RateCreatePerMinute, cfg.RateNotifyPerMinute = 0, 0
	cfg.Demo = opt.Demo
	if opt.Config != nil {
		opt.Config(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("apptest: %v", err)
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, app.Options{Now: opt.Now, Log: log, ManualJobs: opt.ManualJobs, Hub: opt.Hub})
	if err != nil {
		cancel()
		t.Fatalf("apptest: start homebell: %v", err)
	}
	if opt.Demo {
		if err := a.SeedDemo(ctx); err != nil {
			cancel()
			a.Close()
			t.Fatalf("apptest: seed demo: %v", err)
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		cancel()
		a.Close()
		t.Fatalf("apptest: listen: %v", err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	s := &Server{
		URL:    "http://" + ln.Addr().String(),
		Addr:   ln.Addr().String(),
		App:    a,
		Store:  a.Store,
		Client: &http.Client{Transport: tr, Timeout: 30 * time.Second},
		t:      t,
		cancel: cancel,
		served: make(chan error, 1),
	}
	go func() { s.served <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		if err := s.Stop(); err != nil {
			t.Errorf("apptest: stop homebell: %v", err)
		}
		if err := a.Close(); err != nil {
			t.Errorf("apptest: close homebell: %v", err)
		}
	})
	return s
}

// Stop shuts the node down as SIGTERM would — in-flight requests finish, new ones are refused —
// and returns what Serve returned. The store stays open until the test ends. Calling Stop again
// returns the same result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.cancel()
		select {
		case s.stopErr = <-s.served:
		case <-time.After(s.App.Cfg.ShutdownTimeout + 10*time.Second):
			s.stopErr = errors.New("Serve did not return after the shutdown timeout")
		}
	})
	return s.stopErr
}

// Token mints a platform token for a person, valid for an hour from the node's clock.
func (s *Server) Token(personID string, role model.Role) string {
	s.t.Helper()
	// Long-lived: whole-flow tests move the node's clock by days (retention, reminders); token
	// expiry itself is tested in internal/auth and internal/app.
	tok, err := auth.Mint([]byte(Secret), personID, role, s.App.Now(), 10*365*24*time.Hour)
	if err != nil {
		s.t.Fatalf("apptest: mint token: %v", err)
	}
	return tok
}

// ServiceKey creates a service key as `homebell key create NAME` does and returns its credential.
func (s *Server) ServiceKey(name string) string {
	s.t.Helper()
	cred, _, err := auth.CreateServiceKey(context.Background(), s.Store, name, s.App.Now())
	if err != nil {
		s.t.Fatalf("apptest: create service key: %v", err)
	}
	return cred
}

// AddPerson stores p directly (defaults filled in) and returns a token for them.
func (s *Server) AddPerson(p model.Person) string {
	s.t.Helper()
	s.World().People(p)
	return s.Token(p.ID, p.Role)
}

// World is a builder of the node's test world (people, service items, orders, settings), written
// straight to its store at the node's clock.
func (s *Server) World() *testkit.World { return testkit.On(s.t, s.Store, s.App.Now) }

// Do sends a request and reads the whole answer. token is sent as "Authorization: Bearer" unless
// empty. body is sent as is when it is []byte, string or io.Reader, as JSON otherwise, nothing
// when nil; a body goes with Content-Type: application/json.
func (s *Server) Do(method, path, token string, body any) *Response {
	s.t.Helper()
	return s.DoWith(method, path, token, body, nil)
}

// DoWith is Do with extra headers, which override the defaults (e.g. Content-Type,
// Idempotency-Key).
func (s *Server) DoWith(method, path, token string, body any, header http.Header) *Response {
	s.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	case io.Reader:
		var err error
		if raw, err = io.ReadAll(b); err != nil {
			s.t.Fatalf("apptest: read body: %v", err)
		}
	default:
		j, err := json.Marshal(b)
		if err != nil {
			s.t.Fatalf("apptest: encode body: %v", err)
		}
		raw = j
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatalf("apptest: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := s.Client.Do(req)
	if err != nil {
		// Errorf, not Fatalf: Do may be called from a subtest or another goroutine.
		s.t.Errorf("apptest: %s %s: %v", method, path, err)
		return &Response{Method: method, Path: path, Header: http.Header{}}
	}
	defer res.Body.Close()
	r := &Response{Method: method, Path: path, Status: res.StatusCode, Header: res.Header}
	if r.Body, err = io.ReadAll(res.Body); err != nil {
		s.t.Errorf("apptest: %s %s: read body: %v", method, path, err)
	}
	// Every answer is checked against internal/api/openapi.yaml (issue #11): an undocumented
	// status, header or body fails the test that saw it.
	if err := contract.CheckResponse(req, r.Status, r.Header, r.Body); err != nil {
		s.t.Errorf("apptest: %v", err)
	}
	if err := contract.CheckRequest(req, raw, r.Status); err != nil {
		s.t.Errorf("apptest: %v", err)
	}
	if ct := res.Header.Get("Content-Type"); strings.Contains(ct, "json") && bytes.HasPrefix(bytes.TrimSpace(r.Body), []byte("{")) {
		_ = json.Unmarshal(r.Body, &r.JSON)
	}
	return r
}

// Response is a whole HTTP answer.
type Response struct {
	Method, Path string
	Status       int // 0 when the request failed
	Header       http.Header
	Body         []byte
	JSON         map[string]any // the body when it is a JSON object, else nil
}

// Str is a string member of the JSON body ("" when absent or not a string).
func (r *Response) Str(key string) string {
	s, _ := r.JSON[key].(string)
	return s
}

// Code is the problem document's error code.
func (r *Response) Code() string { return r.Str("code") }

// Items is the "items" array of a list envelope {items, next_cursor}.
func (r *Response) Items() []map[string]any {
	raw, _ := r.JSON["items"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, it := range raw {
		m, _ := it.(map[string]any)
		out = append(out, m)
	}
	return out
}

// Decode unmarshals the body into v.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("%s %s: decode %q: %v", r.Method, r.Path, r.Body, err)
	}
}

// String describes the answer for failure messages.
func (r *Response) String() string {
	body := string(r.Body)
	if len(body) > 600 {
		body = body[:600] + "…"
	}
	return fmt.Sprintf("%s %s → %d %s", r.Method, r.Path, r.Status, strings.TrimSpace(body))
}

// RunJobs runs every job due at the node's clock now and returns how many ran.
func (s *Server) RunJobs(t testing.TB) int {
	t.Helper()
	n, err := s.App.Jobs.RunDue(context.Background())
	if err != nil {
		t.Fatalf("run due jobs: %v", err)
	}
	return n
}
