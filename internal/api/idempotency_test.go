package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/homebell/homebell/internal/auth"
	"github.com/homebell/homebell/internal/config"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store/storetest"
)

// thingsServer serves one creating POST, /v1/things, through the real route wrapper (auth,
// Idempotency-Key, problems) on a real store. The foundation has no creating POST of its own yet;
// orders will be the first. effects counts what the handler did.
type thingsServer struct {
	url      string
	keyA     string // a platform backend
	keyB     string // another one
	effects  atomic.Int32
	failNext atomic.Bool   // the next call fails with an internal error, without effect
	entered  chan struct{} // a "slow" call signals here, then waits for release
	release  chan struct{}
}

func startThings(t *testing.T, dsn string) *thingsServer {
	st := storetest.Open(t, dsn)
	v, err := auth.NewVerifier([]byte("idempotency-test-secret-0123456789abcdef"), nil, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	a := &API{Cfg: config.Default(), Store: st, Verifier: v, Now: time.Now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry()}
	a.Handler() // sets up the metrics the wrapper records
	ts := &thingsServer{entered: make(chan struct{}), release: make(chan struct{})}
	create := func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Name string `json:"name"`
		}
		if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
			return err
		}
		switch {
		case ts.failNext.CompareAndSwap(true, false):
			return errors.New("database went away")
		case in.Name == "":
			return model.Invalid(model.FieldError{Field: "name", Message: "is required"})
		case in.Name == "slow":
			ts.entered <- struct{}{}
			<-ts.release
		}
		n := ts.effects.Add(1)
		return writeJSON(w, http.StatusCreated, map[string]any{"id": n, "name": in.Name})
	}
	mux := http.NewServeMux()
	mux.Handle("POST /v1/things", a.wrap(route{Pattern: "POST /v1/things", Roles: anyone, Creates: true, Handler: create}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ts.url = srv.URL
	if ts.keyA, _, err = auth.CreateServiceKey(context.Background(), st, "a", time.Now()); err != nil {
		t.Fatal(err)
	}
	if ts.keyB, _, err = auth.CreateServiceKey(context.Background(), st, "b", time.Now()); err != nil {
		t.Fatal(err)
	}
	return ts
}

type answer struct {
	status   int
	body     string
	ctype    string
	replayed bool
}

func (ts *thingsServer) post(t *testing.T, key, idemKey, body string) answer {
	t.Helper()
	req, _ := http.NewRequest("POST", ts.url+"/v1/things", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("POST: %v", err)
		return answer{}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, string(b), res.Header.Get("Content-Type"), res.Header.Get("Idempotent-Replayed") == "true"}
}

func TestIdempotencyKey(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		ts := startThings(t, dsn)

		t.Run("without a key every POST takes effect", func(t *testing.T) {
			a, b := ts.post(t, ts.keyA, "", `{"name":"x"}`), ts.post(t, ts.keyA, "", `{"name":"x"}`)
			if a.status != 201 || b.status != 201 || a.body == b.body || ts.effects.Load() != 2 {
				t.Errorf("got %+v and %+v, %d effects; want two creations", a, b, ts.effects.Load())
			}
		})

		t.Run("same key and body: the same answer, replayed, one effect", func(t *testing.T) {
			before := ts.effects.Load()
			first := ts.post(t, ts.keyA, "order-77", `{"name":"deep clean"}`)
			again := ts.post(t, ts.keyA, "order-77", `{"name":"deep clean"}`)
			if first.status != 201 || first.replayed {
				t.Fatalf("first: %+v", first)
			}
			if again.status != first.status || again.body != first.body || !again.replayed || again.ctype != first.ctype {
				t.Errorf("retry: %+v\nwant the first answer %+v with Idempotent-Replayed: true", again, first)
			}
			if n := ts.effects.Load() - before; n != 1 {
				t.Errorf("%d effects, want 1", n)
			}
		})

		t.Run("same key, different body: 422 idempotency_key_reused", func(t *testing.T) {
			before := ts.effects.Load()
			r := ts.post(t, ts.keyA, "order-77", `{"name":"nanny"}`)
			if r.status != 422 || !strings.Contains(r.body, `"code":"idempotency_key_reused"`) || r.ctype != "application/problem+json" {
				t.Errorf("got %+v", r)
			}
			if ts.effects.Load() != before {
				t.Error("the refused request took effect")
			}
		})

		t.Run("keys belong to their caller", func(t *testing.T) {
			before := ts.effects.Load()
			r := ts.post(t, ts.keyB, "order-77", `{"name":"deep clean"}`)
			if r.status != 201 || r.replayed || ts.effects.Load() != before+1 {
				t.Errorf("another caller's order-77: %+v", r)
			}
		})

		t.Run("a refusal is replayed as the same problem", func(t *testing.T) {
			first := ts.post(t, ts.keyA, "bad-1", `{"name":""}`)
			again := ts.post(t, ts.keyA, "bad-1", `{"name":""}`)
			if first.status != 400 || again.status != 400 || again.body != first.body || !again.replayed {
				t.Errorf("first %+v\nagain %+v", first, again)
			}
			if again.ctype != "application/problem+json" {
				t.Errorf("replayed problem has Content-Type %q", again.ctype)
			}
		})

		t.Run("a server failure releases the key so the retry runs", func(t *testing.T) {
			before := ts.effects.Load()
			ts.failNext.Store(true)
			if r := ts.post(t, ts.keyA, "flaky-1", `{"name":"x"}`); r.status != 500 || !strings.Contains(r.body, `"code":"internal"`) ||
				strings.Contains(r.body, "database went away") {
				t.Fatalf("failing call: %+v (internal errors must not leak their text)", r)
			}
			r := ts.post(t, ts.keyA, "flaky-1", `{"name":"x"}`)
			if r.status != 201 || r.replayed || ts.effects.Load() != before+1 {
				t.Errorf("retry after a failure: %+v", r)
			}
		})

		t.Run("a retry while the first request runs: 409 idempotency_in_progress", func(t *testing.T) {
			var first answer
			var wg sync.WaitGroup
			wg.Go(func() { first = ts.post(t, ts.keyA, "slow-1", `{"name":"slow"}`) })
			<-ts.entered
			r := ts.post(t, ts.keyA, "slow-1", `{"name":"slow"}`)
			close(ts.release)
			wg.Wait()
			if r.status != 409 || !strings.Contains(r.body, `"code":"idempotency_in_progress"`) {
				t.Errorf("concurrent retry: %+v", r)
			}
			if first.status != 201 {
				t.Errorf("first: %+v", first)
			}
			if again := ts.post(t, ts.keyA, "slow-1", `{"name":"slow"}`); !again.replayed || again.body != first.body {
				t.Errorf("after it finished: %+v", again)
			}
		})

		t.Run("an over-long key is refused", func(t *testing.T) {
			r := ts.post(t, ts.keyA, strings.Repeat("k", 256), `{"name":"x"}`)
			if r.status != 400 || !bytes.Contains([]byte(r.body), []byte("Idempotency-Key")) {
				t.Errorf("got %+v", r)
			}
		})
	})
}
