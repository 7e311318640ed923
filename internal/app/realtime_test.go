package app_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/config"
	"github.com/homebell/homebell/internal/hub"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
)

// tellPerson commits one support message notification to personID on s, as a domain service would.
func tellPerson(t testing.TB, s *apptest.Server, personID, key, text string) {
	t.Helper()
	ctx := context.Background()
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		_, err := s.App.Notify.Notify(ctx, tx, notify.Event{Kind: notify.KindSupportMessage, Key: key,
			Recipients: []notify.Recipient{{PersonID: personID}}, Vars: map[string]any{"text": text}})
		return err
	})
	if err != nil {
		t.Errorf("notify %s: %v", personID, err)
	}
}

// streamEvent is one frame as a client sees it.
type streamEvent struct {
	Seq  int64           `json:"seq"`
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// body is the notification body of a notification.created event.
func (e streamEvent) body() string {
	var d struct {
		Notification model.Notification `json:"notification"`
	}
	_ = json.Unmarshal(e.Data, &d)
	return d.Notification.Body
}

// wsStream is a WebSocket client of /v1/stream. next skips unread.changed frames (counts sent
// after events) unless unread is set.
type wsStream struct {
	c      *websocket.Conn
	unread bool
}

func dialWS(ctx context.Context, s *apptest.Server, token string, after int64, client *http.Client) (*wsStream, error) {
	u := "ws://" + s.Addr + "/v1/stream?access_token=" + token
	if after >= 0 {
		u += "&after=" + strconv.FormatInt(after, 10)
	}
	c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(1 << 20)
	return &wsStream{c: c}, nil
}

// next returns the next event, skipping stream.open (and unread.changed unless w.unread).
func (w *wsStream) next(ctx context.Context) (streamEvent, error) {
	for {
		_, raw, err := w.c.Read(ctx)
		if err != nil {
			return streamEvent{}, err
		}
		var ev streamEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return ev, err
		}
		if ev.Type != hub.OpenEvent && (ev.Type != model.EventUnread || w.unread) {
			return ev, nil
		}
	}
}

// sseStream is an EventSource-like client of /v1/events. next skips unread.changed frames
// unless unread is set.
type sseStream struct {
	res    *http.Response
	rd     *bufio.Reader
	unread bool
}

func dialSSE(ctx context.Context, s *apptest.Server, token string, lastEventID int64) (*sseStream, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/v1/events?access_token="+token, nil)
	if lastEventID >= 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastEventID, 10))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		res.Body.Close()
		return nil, fmt.Errorf("GET /v1/events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	return &sseStream{res: res, rd: bufio.NewReader(res.Body)}, nil
}

// next returns the next event, skipping stream.open and comments; it checks that id: and event:
// agree with the JSON.
func (s *sseStream) next() (streamEvent, error) {
	var id, typ, data string
	for {
		line, err := s.rd.ReadString('\n')
		if err != nil {
			return streamEvent{}, err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if data == "" {
				continue
			}
			var ev streamEvent
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				return ev, err
			}
			if ev.Type == model.EventUnread {
				// In no log: no id, so Last-Event-ID stays where the log is.
				if id != "" || ev.Seq != 0 || typ != ev.Type {
					return ev, fmt.Errorf("unread.changed with id: %q seq %d event: %s", id, ev.Seq, typ)
				}
				if !s.unread {
					id, typ, data = "", "", ""
					continue
				}
				return ev, nil
			}
			if strconv.FormatInt(ev.Seq, 10) != id || ev.Type != typ {
				return ev, fmt.Errorf("id: %s event: %s disagree with %s", id, typ, data)
			}
			if ev.Type == hub.OpenEvent {
				id, typ, data = "", "", ""
				continue
			}
			return ev, nil
		case strings.HasPrefix(line, "id: "):
			id = line[4:]
		case strings.HasPrefix(line, "event: "):
			typ = line[7:]
		case strings.HasPrefix(line, "data: "):
			data = line[6:]
		}
	}
}

func (s *sseStream) close() { s.res.Body.Close() }

func randN(n int) int {
	v, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
	return int(v.Int64())
}

// checkExactlyOnce fails unless got is seq 1..n in order with the bodies the producer sent.
func checkExactlyOnce(t *testing.T, who string, got []streamEvent, n int) {
	t.Helper()
	if len(got) != n {
		t.Errorf("%s received %d events, want %d", who, len(got), n)
	}
	for i, ev := range got {
		if ev.Seq != int64(i+1) || ev.Type != model.EventNotification || ev.body() != fmt.Sprintf("msg %d", i+1) {
			t.Fatalf("%s: event %d is seq %d %s %q, want seq %d notification.created \"msg %d\"", who, i, ev.Seq, ev.Type, ev.body(), i+1, i+1)
		}
	}
}

// X1: clients that keep dropping and reconnecting while notifications flow receive every event
// exactly once, in order — over WebSocket and SSE, on both databases.
func TestX1ReconnectCatchesUpExactlyOnce(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		s := apptest.Start(t, dsn, apptest.Options{Hub: hub.Options{Poll: 200 * time.Millisecond}})
		tok := s.AddPerson(model.Person{ID: "c-1", Role: model.RoleCustomer, Name: "林晓"})
		const n = 120
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()

		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= n; i++ {
				tellPerson(t, s, "c-1", "m"+strconv.Itoa(i), fmt.Sprintf("msg %d", i))
				time.Sleep(time.Duration(randN(4)) * time.Millisecond)
			}
		}()

		var wsGot, sseGot []streamEvent
		var wsConns, sseConns int
		wg.Add(2)
		go func() { // WebSocket: drop after a few events, resume with ?after=
			defer wg.Done()
			last := int64(0)
			for last < n && ctx.Err() == nil {
				c, err := dialWS(ctx, s, tok, last, nil)
				if err != nil {
					t.Errorf("dial ws: %v", err)
					return
				}
				wsConns++
				for k := 1 + randN(12); k > 0 && last < n; k-- {
					ev, err := c.next(ctx)
					if err != nil {
						t.Errorf("ws read: %v", err)
						return
					}
					wsGot = append(wsGot, ev)
					last = ev.Seq
				}
				c.c.CloseNow() // an abrupt drop, as a phone losing signal
			}
		}()
		go func() { // SSE: drop after a few events, resume with Last-Event-ID
			defer wg.Done()
			last := int64(0)
			for last < n && ctx.Err() == nil {
				c, err := dialSSE(ctx, s, tok, last)
				if err != nil {
					t.Errorf("dial sse: %v", err)
					return
				}
				sseConns++
				for k := 1 + randN(12); k > 0 && last < n; k-- {
					ev, err := c.next()
					if err != nil {
						t.Errorf("sse read: %v", err)
						c.close()
						return
					}
					sseGot = append(sseGot, ev)
					last = ev.Seq
				}
				c.close()
			}
		}()
		wg.Wait()
		checkExactlyOnce(t, "WebSocket", wsGot, n)
		checkExactlyOnce(t, "SSE", sseGot, n)
		if wsConns < 5 || sseConns < 5 {
			t.Errorf("only %d WebSocket and %d SSE connections: the test did not reconnect enough", wsConns, sseConns)
		}
	})
}

// X1: a client that does not read is disconnected once the server cannot hand it its events
// within the write timeout; it then resumes by seq and gets everything exactly once.
func TestX1SlowClientIsDisconnectedAndResumes(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		s := apptest.Start(t, dsn, apptest.Options{Hub: hub.Options{WriteTimeout: 300 * time.Millisecond}})
		tok := s.AddPerson(model.Person{ID: "c-1", Role: model.RoleCustomer, Name: "林晓"})
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		// A client with a tiny receive window that reads nothing for now.
		tiny := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
			return errors.Join(err, serr)
		}}).DialContext}}
		slow, err := dialWS(ctx, s, tok, 0, tiny)
		if err != nil {
			t.Fatal(err)
		}
		defer slow.c.CloseNow()

		// 400 events of 32 KB: far more than the socket buffers hold.
		const n = 400
		pad := strings.Repeat("x", 32<<10)
		err = s.Store.InTx(ctx, func(tx *store.Tx) error {
			for i := 1; i <= n; i++ {
				if _, err := tx.AppendEvent(ctx, "c-1", "test.big", map[string]any{"i": i, "pad": pad}, time.Now()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		s.App.Hub.Wake("c-1")
		for s.App.Hub.SlowDisconnects() == 0 {
			if ctx.Err() != nil {
				t.Fatal("the server never dropped the client that does not read")
			}
			time.Sleep(20 * time.Millisecond)
		}
		// The client reads what reached it, then finds the connection closed.
		var got []int64
		for {
			ev, err := slow.next(ctx)
			if err != nil {
				break
			}
			got = append(got, ev.Seq)
		}
		if len(got) >= n {
			t.Fatalf("the slow client got all %d events on its first connection", len(got))
		}
		last := int64(0)
		if len(got) > 0 {
			last = got[len(got)-1]
		}
		// It resumes from the last seq it saw — again if it is dropped again (a reader under the
		// race detector on a busy machine may be too slow for a 300 ms write timeout too).
		for tries := 0; len(got) < n; tries++ {
			if tries == 20 {
				t.Fatalf("still missing events after %d reconnections: got %d of %d", tries, len(got), n)
			}
			from := int64(len(got))
			if from > 0 {
				from = got[len(got)-1]
			}
			c, err := dialWS(ctx, s, tok, from, nil)
			if err != nil {
				t.Fatal(err)
			}
			for len(got) < n {
				ev, err := c.next(ctx)
				if err != nil {
					break
				}
				got = append(got, ev.Seq)
			}
			c.c.CloseNow()
		}
		for i, seq := range got {
			if seq != int64(i+1) {
				t.Fatalf("event %d has seq %d: lost or doubled around the disconnect (resumed after %d)", i, seq, last)
			}
		}
	})
}

// X1: a person's streams are capped (the oldest is closed), heartbeats flow, and a shutting-down
// node closes its streams so clients reconnect elsewhere.
func TestX1StreamCapHeartbeatAndShutdown(t *testing.T) {
	s := apptest.Start(t, storetest.SQLitePath(t), apptest.Options{Hub: hub.Options{Heartbeat: 50 * time.Millisecond, MaxPerPerson: 2}})
	tok := s.AddPerson(model.Person{ID: "c-1", Role: model.RoleCustomer, Name: "林晓"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	r := s.Do("GET", "/v1/events?after=x", tok, nil)
	wantProblem(t, r, 400, model.CodeInvalid)
	wantProblem(t, s.Do("GET", "/v1/stream", tok, nil), 400, model.CodeInvalid) // not a WebSocket handshake
	if r := s.Do("GET", "/v1/events", "", nil); r.Status != 401 {
		t.Fatalf("unauthenticated stream: %s", r)
	}

	first, err := dialWS(ctx, s, tok, -1, nil)
	if err != nil {
		t.Fatal(err)
	}
	sse, err := dialSSE(ctx, s, tok, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer sse.close()
	// Heartbeats: an SSE comment arrives while nothing happens.
	line := ""
	for !strings.HasPrefix(line, ": ping") {
		if line, err = sse.rd.ReadString('\n'); err != nil {
			t.Fatalf("waiting for a heartbeat: %v", err)
		}
	}
	third, err := dialWS(ctx, s, tok, -1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.next(ctx); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("the oldest of 3 streams (cap 2) ended with %v, want close 1008", err)
	}
	tellPerson(t, s, "c-1", "m1", "msg 1")
	if ev, err := third.next(ctx); err != nil || ev.body() != "msg 1" {
		t.Fatalf("newest stream: %+v %v", ev, err)
	}
	if ev, err := sse.next(); err != nil || ev.body() != "msg 1" {
		t.Fatalf("SSE stream: %+v %v", ev, err)
	}

	done := make(chan error, 1)
	go func() { done <- s.Stop() }()
	if _, err := third.next(ctx); websocket.CloseStatus(err) != websocket.StatusServiceRestart {
		t.Fatalf("on shutdown the stream ended with %v, want close 1012", err)
	}
	if _, err := sse.next(); err == nil {
		t.Fatal("SSE stream still open after shutdown")
	}
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// X1 across nodes: two homebell nodes on one PostgreSQL database, waking each other over NATS.
// A client on node A receives what node B committed well before the safety-net poll could have
// found it; with NATS unreachable, the poll still delivers.
func TestX1TwoNodesOverNATS(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	natsURL := storetest.Env(t, "HOMEBELL_TEST_NATS", "a NATS server URL such as nats://127.0.0.1:4222")
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "hbtest" + hex.EncodeToString(b)
	node := func(nats string, poll time.Duration) *apptest.Server {
		return apptest.Start(t, dsn, apptest.Options{Hub: hub.Options{Poll: poll},
			Config: func(c *config.Config) { c.NATS, c.NATSPrefix = nats, prefix }})
	}
	a := node(natsURL, time.Minute)
	bNode := node(natsURL, time.Minute)
	tok := a.AddPerson(model.Person{ID: "c-1", Role: model.RoleCustomer, Name: "林晓"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := dialWS(ctx, a, tok, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.c.CloseNow()
	sse, err := dialSSE(ctx, a, tok, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sse.close()
	var worst time.Duration
	for i := 1; i <= 10; i++ {
		start := time.Now()
		tellPerson(t, bNode, "c-1", "m"+strconv.Itoa(i), fmt.Sprintf("msg %d", i))
		rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
		ev, err := c.next(rctx)
		rcancel()
		if err != nil || ev.Seq != int64(i) || ev.body() != fmt.Sprintf("msg %d", i) {
			t.Fatalf("node A's WebSocket client after node B's commit %d: %+v %v", i, ev, err)
		}
		if ev, err := sse.next(); err != nil || ev.Seq != int64(i) {
			t.Fatalf("node A's SSE client after node B's commit %d: %+v %v", i, ev, err)
		}
		worst = max(worst, time.Since(start))
	}
	if worst > 2*time.Second {
		t.Errorf("slowest cross-node delivery took %s; the poll is 1 min, NATS should take milliseconds", worst)
	}
	t.Logf("slowest of 10 cross-node deliveries (commit on B → client on A): %s", worst)

	t.Run("NATS unreachable: the poll catches up", func(t *testing.T) {
		dead := node("nats://127.0.0.1:1", 200*time.Millisecond)
		other := node("nats://127.0.0.1:1", time.Minute)
		c, err := dialWS(ctx, dead, tok, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.c.CloseNow()
		tellPerson(t, other, "c-1", "m11", "msg 11")
		rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
		defer rcancel()
		if ev, err := c.next(rctx); err != nil || ev.Seq != 11 {
			t.Fatalf("without NATS: %+v %v", ev, err)
		}
	})
}

// X1: clients that stop reading hold up nobody else: while more slow streams than the hub has
// workers block on their writes, another person's stream still gets its event at once.
func TestX1SlowClientsDoNotHoldUpOthers(t *testing.T) {
	const writeTimeout = 3 * time.Second
	s := apptest.Start(t, storetest.SQLitePath(t), apptest.Options{Hub: hub.Options{WriteTimeout: writeTimeout}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tiny := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return errors.Join(err, serr)
	}}).DialContext}}
	pad := strings.Repeat("x", 32<<10)
	const slowOnes = 8 // more than the hub's workers
	for i := range slowOnes {
		id := fmt.Sprintf("slow-%d", i)
		tok := s.AddPerson(model.Person{ID: id, Role: model.RoleCustomer, Name: id})
		ws, err := dialWS(ctx, s, tok, 0, tiny)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.c.CloseNow()
		if err := s.Store.InTx(ctx, func(tx *store.Tx) error {
			for j := range 100 {
				if _, err := tx.AppendEvent(ctx, id, "test.big", map[string]any{"j": j, "pad": pad}, time.Now()); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		s.App.Hub.Wake(id)
		// A barrier instead of a sleep: the first big event has reached this client, so the hub
		// is writing its backlog, which the 4 KB window will not take in; from here on this
		// client reads nothing.
		if ev, err := ws.next(ctx); err != nil || ev.Type != "test.big" {
			t.Fatalf("%s's first event: %+v, %v", id, ev, err)
		}
	}

	tok := s.AddPerson(model.Person{ID: "c-ok", Role: model.RoleCustomer, Name: "林晓"})
	ok, err := dialWS(ctx, s, tok, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ok.c.CloseNow()
	start := time.Now()
	if err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.AppendEvent(ctx, "c-ok", "test.small", map[string]int{"i": 1}, time.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	s.App.Hub.Wake("c-ok")
	ev, err := ok.next(ctx)
	if err != nil || ev.Type != "test.small" {
		t.Fatalf("next event: %+v, %v", ev, err)
	}
	if waited := time.Since(start); waited > writeTimeout/2 {
		t.Fatalf("the event waited %v behind clients that do not read (their write timeout is %v)", waited, writeTimeout)
	}
	// The slow streams really were stuck, not just behind: each is dropped when its blocked write
	// reaches the write timeout. Without this the test would pass as well if nothing ever blocked.
	deadline := time.Now().Add(10 * writeTimeout)
	for s.App.Hub.SlowDisconnects() < slowOnes && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := s.App.Hub.SlowDisconnects(); n < slowOnes {
		t.Fatalf("%d of %d streams that never read were dropped as too slow within %v", n, slowOnes, 10*writeTimeout)
	}
}
