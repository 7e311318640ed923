package hub

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/testkit"
)

// Every test of the package leaves no goroutine behind: the hub's own, the streams' and the
// store's are all stopped by the time the tests end.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared.st != nil {
		shared.st.Close()
		os.RemoveAll(shared.dir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// shared is one migrated SQLite store for the package's tests; each test uses its own people.
var shared struct {
	once sync.Once
	st   *store.Store
	dir  string
	err  error
}

func testStore(t *testing.T) *store.Store {
	t.Helper()
	shared.once.Do(func() {
		ctx := context.Background()
		if shared.dir, shared.err = os.MkdirTemp("", "hub-test-"); shared.err != nil {
			return
		}
		if shared.st, shared.err = store.Open(ctx, filepath.Join(shared.dir, "hub.db")); shared.err != nil {
			return
		}
		shared.err = shared.st.Migrate(ctx)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.st
}

// person is a person id of this test's own, in this run of it (-count reruns a test against the
// same shared store).
func person(t *testing.T, name string) string {
	run, _ := runs.LoadOrStore(t, runCount.Add(1))
	return fmt.Sprintf("%s-%d-%s", strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()), run, name)
}

var (
	runs     sync.Map // *testing.T → its run number
	runCount atomic.Int64
)

// appendEvents commits n events of type typ to person's log and returns them as stored.
func appendEvents(t *testing.T, st *store.Store, person, typ string, n int) []model.Event {
	t.Helper()
	var out []model.Event
	err := st.InTx(context.Background(), func(tx *store.Tx) error {
		for range n {
			ev, err := tx.AppendEventRecord(context.Background(), person, typ, map[string]int{"n": len(out)}, t0)
			if err != nil {
				return err
			}
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// t0 is where the tests' clocks (testkit.Clock) start: far from the wall clock, so a frame
// stamped with time.Now shows.
var t0 = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

// clockAtT0 is a fresh test clock's Now.
func clockAtT0() func() time.Time { return testkit.NewClock(t0).Now }

// testHub makes a hub that runs nothing yet (see newHub) with the tests' clock and the broker b
// (a recordingBroker when nil). A test starts the parts it tests; Close stops them.
func testHub(t *testing.T, st *store.Store, b Broker, opt Options) *Hub {
	t.Helper()
	if b == nil {
		b = &recordingBroker{}
	}
	if opt.Now == nil {
		opt.Now = clockAtT0()
	}
	h := newHub(st, b, nil, opt)
	t.Cleanup(func() { h.Close() })
	return h
}

// recordingBroker is a broker that remembers what was published; deliver plays another node.
type recordingBroker struct {
	mu        sync.Mutex
	published [][]string
	fn        func([]string)
	closed    int
}

func (b *recordingBroker) Publish(_ context.Context, ids []string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.published = append(b.published, ids)
	return nil
}

func (b *recordingBroker) Subscribe(fn func([]string)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fn = fn
	return nil
}

func (b *recordingBroker) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed++
	return nil
}

func (b *recordingBroker) Connected() bool { return true }

func (b *recordingBroker) deliver(ids ...string) {
	b.mu.Lock()
	fn := b.fn
	b.mu.Unlock()
	fn(ids)
}

func (b *recordingBroker) sent() [][]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([][]string(nil), b.published...)
}

// runningHubCode lists the goroutines that run the hub's code now, other than the HTTP server's
// (which run ServeSSE for it) and the tests' own.
func runningHubCode() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if (strings.Contains(g, "internal/hub.(*Hub)") || strings.Contains(g, "internal/hub.(*conn)") ||
			strings.Contains(g, "internal/hub.(*wsReader)") || strings.Contains(g, "internal/hub.(*wsPoller)")) &&
			!strings.Contains(g, "net/http.(*conn).serve") && !strings.Contains(g, "internal/hub.Test") {
			out = append(out, g)
		}
	}
	return out
}

// onlyFinishing reports whether every goroutine dump in g is runnable or running (not waiting).
func onlyFinishing(g []string) bool {
	for _, d := range g {
		head, _, _ := strings.Cut(d, "\n")
		if !strings.Contains(head, "[runnable") && !strings.Contains(head, "[running") {
			return false
		}
	}
	return true
}

// Close waits for every goroutine the hub started — its workers, watchdog, poll and dispatcher,
// the WebSocket streams, their poller and pumps, broadcasts from other nodes — and starts none
// afterwards; the streams' first frames carry the hub's clock.
func TestX1CloseStopsEveryGoroutineTheHubStarted(t *testing.T) {
	st := testStore(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	b := &recordingBroker{}
	h, err := New(st, b, nil, Options{Now: clockAtT0(), Heartbeat: time.Hour, Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	p := person(t, "c")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		if r.URL.Path == "/ws" {
			err = h.ServeWS(w, r, p, -1)
		} else {
			err = h.ServeSSE(w, r, p, -1)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	client := srv.Client()
	defer client.CloseIdleConnections()
	ctx := context.Background()

	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	wsFrame := func() model.Event {
		t.Helper()
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, raw, err := ws.Read(rctx)
		if err != nil {
			t.Fatal(err)
		}
		var ev model.Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	resp, err := client.Get(srv.URL + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sse := bufio.NewReader(resp.Body)
	sseFrame := func() model.Event {
		t.Helper()
		for {
			line, err := sse.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				var ev model.Event
				if err := json.Unmarshal([]byte(data), &ev); err != nil {
					t.Fatal(err)
				}
				return ev
			}
		}
	}
	for name, open := range map[string]model.Event{"websocket": wsFrame(), "sse": sseFrame()} {
		if open.Type != OpenEvent || !open.CreatedAt.Equal(t0) {
			t.Errorf("%s opened with %s at %s, want %s at the hub's clock %s", name, open.Type, open.CreatedAt, OpenEvent, t0)
		}
	}
	if n := h.Connections(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}

	// A wake-up read by the dispatcher and sent by a turn, and a broadcast from another node.
	appendEvents(t, st, p, "t", 1)
	h.Wake(p)
	b.deliver(broadcastPrefix + `{"id":"camp-1"}`)
	for _, f := range []func() model.Event{wsFrame, sseFrame} {
		got := map[string]bool{}
		for len(got) < 2 {
			got[f().Type] = true
		}
		if !got["t"] || !got[BroadcastEvent] {
			t.Fatalf("frames %v, want the event and the broadcast", got)
		}
	}
	// The client answers the close handshake, as a browser does, while the hub closes.
	wsEnd := make(chan error, 1)
	go func() {
		for {
			if _, _, err := ws.Read(ctx); err != nil {
				wsEnd <- err
				return
			}
		}
	}()
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	// Checked at once, not after a grace period: Close waited for them, not just told them to stop.
	// A goroutine the wait released may still be runnable on its last line (a stream's deferred
	// Done is the last thing it calls); one that waits for anything was not waited for.
	g := runningHubCode()
	for deadline := time.Now().Add(time.Second); len(g) > 0 && onlyFinishing(g) && time.Now().Before(deadline); g = runningHubCode() {
		runtime.Gosched()
	}
	if len(g) > 0 {
		t.Fatalf("%d goroutines of the hub still run after Close:\n%s", len(g), strings.Join(g, "\n\n"))
	}
	if err := <-wsEnd; websocket.CloseStatus(err) != websocket.StatusServiceRestart {
		t.Errorf("WebSocket ended with %v, want 1012", err)
	}
	for {
		line, err := sse.ReadString('\n')
		if err != nil {
			t.Fatalf("SSE ended without stream.close: %v", err)
		}
		if line == "event: stream.close\n" {
			if line, _ = sse.ReadString('\n'); !strings.Contains(line, `"shutdown"`) {
				t.Errorf("SSE closed with %q, want the reason shutdown", line)
			}
			break
		}
	}
	// A closed hub starts nothing: wake-ups, broadcasts and other nodes' messages find no stream.
	h.Wake(p)
	h.Publish(map[string][]model.Event{p: evs(3)})
	h.Broadcast([]byte(`{}`))
	b.deliver(broadcastPrefix+`{}`, p)
	if h.spawn(func() {}) {
		t.Error("a closed hub started a goroutine")
	}
	if b.closed != 1 {
		t.Errorf("broker closed %d times, want 1", b.closed)
	}
	if err := h.Close(); err != nil || b.closed != 1 {
		t.Errorf("second Close: %v, broker closed %d times; want nil and 1", err, b.closed)
	}
	if _, err := h.register(ctx, p, 0, false); err == nil {
		t.Error("a closed hub opened a stream")
	}
}
