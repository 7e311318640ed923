package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
	"github.com/homebell/homebell/internal/idem"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
)

// thingsServer serves one creating POST, /v1/things, through the real route wrapper (auth,
// Idempotency-Key, problems) on a real store: each creation commits a settings row in a
// transaction, as a service would. effects counts commits.
type thingsServer struct {
	url      string
	keyA     string // a platform backend
	keyB     string // another one
	effects  atomic.Int32
	failNext atomic.Bool   // the next call fails with an internal error, without effect
	crashAt  atomic.Bool   // the next call commits, then fails before answering (a crash in between)
	entered  chan struct{} // a "slow" call signals here (inside its transaction), then waits for release
	release  chan struct{}
	clock    atomic.Int64 // seconds added to the API's clock
	// loseRecord: the next call commits, then its key's record disappears before the answer is
	// recorded, so recording it fails.
	loseRecord atomic.Bool
	log        lockedBuffer // what the API logs
}

// lockedBuffer is a bytes.Buffer safe for the handler's and the test's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startThings(t *testing.T, dsn string) *thingsServer {
	st := storetest.Open(t, dsn)
	v, err := auth.NewVerifier([]byte("idempotency-test-secret-0123456789abcdef"), nil, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	ts := &thingsServer{entered: make(chan struct{}), release: make(chan struct{})}
	now := func() time.Time { return time.Now().Add(time.Duration(ts.clock.Load()) * time.Second) }
	st.Now = now
	a := &API{Cfg: config.Default(), Store: st, Verifier: v, Now: now,
		Log: slog.New(slog.NewTextHandler(&ts.log, nil)), Registry: prometheus.NewRegistry(),
		Keys: &idem.Keys{Store: st, Now: now}}
	a.Handler() // sets up the metrics the wrapper records
	var seq atomic.Int32
	create := func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Name string `json:"name"`
		}
		if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
			return err
		}
		if ts.failNext.CompareAndSwap(true, false) {
			return errors.New("database went away")
		}
		if in.Name == "" {
			return model.Invalid(model.FieldError{Field: "name", Message: "is required"})
		}
		n := seq.Add(1)
		id := fmt.Sprint(n)
		err := st.InTx(r.Context(), func(tx *store.Tx) error {
			if in.Name == "slow" {
				ts.entered <- struct{}{}
				<-ts.release
			}
			store.NoteCreated(r.Context(), id)
			tx.AfterCommit(func() { ts.effects.Add(1) })
			return tx.PutSetting(r.Context(), "thing:"+id, in.Name, now())
		})
		if err != nil {
			return err
		}
		if ts.loseRecord.CompareAndSwap(true, false) {
			// Outside the request's claim: the record goes, as a purge or an operator would take it.
			if err := st.InTx(context.Background(), func(tx *store.Tx) error {
				_, err := tx.PurgeIdempotencyKeys(context.Background(), now().Add(time.Hour), 1000)
				return err
			}); err != nil {
				return err
			}
		}
		if ts.crashAt.CompareAndSwap(true, false) {
			return errors.New("the node died before answering")
		}
		return writeJSON(w, http.StatusCreated, map[string]any{"id": id, "name": in.Name})
	}
	rebuild := func(w http.ResponseWriter, r *http.Request, ref string) error {
		var name string
		if _, err := st.Setting(r.Context(), "thing:"+ref, &name); err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, map[string]any{"id": ref, "name": name})
	}
	mux := http.NewServeMux()
	mux.Handle("POST /v1/things", a.wrap(route{Pattern: "POST /v1/things", Roles: anyone, Creates: true, Handler: create}))
	mux.Handle("POST /v1/rebuilt-things", a.wrap(route{Pattern: "POST /v1/rebuilt-things", Roles: anyone, Creates: true, Handler: create, Rebuild: rebuild}))
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
	return ts.postTo(t, "/v1/things", key, idemKey, body)
}

func (ts *thingsServer) postTo(t *testing.T, path, key, idemKey, body string) answer {
	t.Helper()
	req, _ := http.NewRequest("POST", ts.url+path, strings.NewReader(body))
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

		t.Run("a server failure leaves no key so the retry runs", func(t *testing.T) {
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

		t.Run("a retry while the first request runs: one effect, the first answer", func(t *testing.T) {
			before := ts.effects.Load()
			var first, second answer
			var wg sync.WaitGroup
			wg.Go(func() { first = ts.post(t, ts.keyA, "slow-1", `{"name":"slow"}`) })
			<-ts.entered
			wg.Go(func() { second = ts.post(t, ts.keyA, "slow-1", `{"name":"slow"}`) })
			time.Sleep(50 * time.Millisecond) // let the retry reach the store (it must wait for the first)
			close(ts.release)
			wg.Wait()
			if first.status != 201 || second.status != 201 || first.body != second.body || !second.replayed {
				t.Errorf("first %+v\nconcurrent retry %+v\nwant the first answer replayed", first, second)
			}
			if n := ts.effects.Load() - before; n != 1 {
				t.Errorf("%d effects, want 1", n)
			}
		})

		t.Run("the action committed but its answer was lost: the retry does not run it again", func(t *testing.T) {
			// A route that rebuilds its answer from current state answers at once.
			before := ts.effects.Load()
			ts.crashAt.Store(true)
			if r := ts.postTo(t, "/v1/rebuilt-things", ts.keyA, "crash-1", `{"name":"kept"}`); r.status != 500 {
				t.Fatalf("crashing call: %+v", r)
			}
			r := ts.postTo(t, "/v1/rebuilt-things", ts.keyA, "crash-1", `{"name":"kept"}`)
			if r.status != 201 || !r.replayed || !strings.Contains(r.body, `"name":"kept"`) || ts.effects.Load() != before+1 {
				t.Errorf("retry: %+v, %d effects; want the rebuilt answer and one effect", r, ts.effects.Load()-before)
			}
			// A route that cannot: "retry shortly" while the answer may still come, then "committed".
			ts.crashAt.Store(true)
			ts.post(t, ts.keyA, "crash-2", `{"name":"kept"}`)
			if r := ts.post(t, ts.keyA, "crash-2", `{"name":"kept"}`); r.status != 409 || !strings.Contains(r.body, "idempotency_in_progress") {
				t.Errorf("retry at once: %+v", r)
			}
			ts.clock.Add(60)
			defer ts.clock.Store(0)
			r = ts.post(t, ts.keyA, "crash-2", `{"name":"kept"}`)
			if r.status != 200 || !r.replayed || !strings.Contains(r.body, `"status":"committed"`) || ts.effects.Load() != before+2 {
				t.Errorf("retry later: %+v, %d effects", r, ts.effects.Load()-before)
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

// TestIdempotencyFinishFailureLogged: when recording a committed action's answer fails, the
// request is still answered and the failure is logged with the key's route, person and key.
func TestIdempotencyFinishFailureLogged(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		ts := startThings(t, dsn)
		ts.loseRecord.Store(true)
		if r := ts.post(t, ts.keyA, "lost-1", `{"name":"x"}`); r.status != 201 || ts.effects.Load() != 1 {
			t.Fatalf("got %+v, %d effects; want the creation answered", r, ts.effects.Load())
		}
		var line string
		for l := range strings.Lines(ts.log.String()) {
			if strings.Contains(l, "idempotency: record answer") {
				line = l
			}
		}
		for _, want := range []string{"level=ERROR", `route="POST /v1/things"`, "person=", "key=lost-1", "status=201",
			"idempotency record vanished"} {
			if !strings.Contains(line, want) {
				t.Errorf("log line %q lacks %s; the log:\n%s", line, want, ts.log.String())
			}
		}
		if strings.Contains(line, "person= ") || strings.HasSuffix(strings.TrimSpace(line), "person=") {
			t.Errorf("log line %q names no person", line)
		}
	})
}
