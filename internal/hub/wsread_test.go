package hub

import (
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// An idle WebSocket stream has no goroutine of its own (on Linux, where the hub's poller watches
// it): the server's heartbeats get their pongs, the client's pings are answered, a client that
// closes ends its stream at once, and a data message from the client closes the stream with 1008
// — all without a read waiting per stream.
func TestX1IdleWebSocketStreamsReadWithoutAGoroutine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the poller is Linux only; elsewhere each stream reads on a goroutine")
	}
	st := testStore(t)
	h, err := New(st, nil, nil, Options{Now: clockAtT0(), Heartbeat: 50 * time.Millisecond, Poll: time.Hour, WriteTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	p := person(t, "c")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h.ServeWS(w, r, p, -1); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	client := srv.Client()
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial := func() *websocket.Conn {
		t.Helper()
		ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{HTTPClient: client})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.CloseNow() })
		if _, raw, err := ws.Read(ctx); err != nil || !strings.Contains(string(raw), OpenEvent) {
			t.Fatalf("first frame %s, %v; want %s", raw, err, OpenEvent)
		}
		return ws
	}
	waitConns := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); h.Connections() != n; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d streams open, want %d", h.Connections(), n)
			}
		}
	}

	const n = 6 // below the cap per person
	var idle []*websocket.Conn
	for range n {
		ws := dial()
		ws.CloseRead(ctx) // answers the server's pings
		idle = append(idle, ws)
	}
	waitConns(n)
	// Heartbeats every 50 ms: each ping waits for its pong, which only a read of the stream's
	// connection delivers; a missed one ends the stream as a slow client.
	time.Sleep(500 * time.Millisecond)
	if got := h.Connections(); got != n || h.SlowDisconnects() != 0 {
		t.Fatalf("after 10 heartbeats: %d streams open, %d slow disconnects; want %d and 0", got, h.SlowDisconnects(), n)
	}
	if g := readingGoroutines(); len(g) > 0 {
		t.Fatalf("%d goroutines wait in a read of an idle stream:\n%s", len(g), strings.Join(g, "\n\n"))
	}

	// The client's own ping is answered.
	pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
	err = idle[0].Ping(pctx)
	pcancel()
	if err != nil {
		t.Fatalf("the client's ping: %v", err)
	}
	// A client that closes ends its stream at once (its close frame is answered).
	if err := idle[1].Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Errorf("client close: %v", err)
	}
	waitConns(n - 1)
	// So does one that just drops the connection.
	idle[2].CloseNow()
	waitConns(n - 2)
	// A data message from the client is a policy violation, as with the library's CloseRead.
	ws := dial()
	waitConns(n - 1)
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"hello":1}`)); err != nil {
		t.Fatal(err)
	}
	for {
		if _, _, err := ws.Read(ctx); err != nil {
			if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
				t.Errorf("a client that sent a message: %v, want close 1008", err)
			}
			break
		}
	}
	waitConns(n - 2)
}

// readingGoroutines lists the goroutines that wait in a read of the server's side of a WebSocket
// stream (the test's clients read through net/http's client body; a pump caught running its
// short turn does not wait).
func readingGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "coder/websocket.(*Conn).read") && !strings.Contains(g, "net/http.(*readWriteCloserBody)") &&
			!onlyFinishing([]string{g}) {
			out = append(out, g)
		}
	}
	return out
}

// wsReader knows where a frame ends whatever pieces its bytes arrive in: only between frames may a
// read return "nothing now".
func TestWSReaderFollowsFrames(t *testing.T) {
	frame := func(op byte, masked bool, n int) []byte {
		b := []byte{0x80 | op, 0}
		switch {
		case n < 126:
			b[1] = byte(n)
		case n < 1<<16:
			b[1] = 126
			b = binary.BigEndian.AppendUint16(b, uint16(n))
		default:
			b[1] = 127
			b = binary.BigEndian.AppendUint64(b, uint64(n))
		}
		if masked {
			b[1] |= 0x80
			b = append(b, 1, 2, 3, 4)
		}
		return append(b, make([]byte, n)...)
	}
	var stream []byte
	var ends []int // offsets where a frame ends
	for _, f := range [][]byte{frame(0xA, true, 0), frame(0xA, true, 125), frame(0x9, false, 7), frame(0x1, true, 126),
		frame(0x2, true, 70000), frame(0x8, true, 2)} {
		stream = append(stream, f...)
		ends = append(ends, len(stream))
	}
	for _, piece := range []int{1, 2, 3, 5, 13, 100, 4096, len(stream)} {
		var r wsReader
		at := map[int]bool{0: true}
		for off := 0; off < len(stream); {
			k := min(piece, len(stream)-off)
			r.track(stream[off : off+k])
			off += k
			at[off] = r.hn == 0 && r.rem == 0
		}
		for off, boundary := range at {
			want := off == 0
			for _, e := range ends {
				want = want || off == e
			}
			if boundary != want {
				t.Errorf("pieces of %d: at %d between frames = %v, want %v", piece, off, boundary, want)
			}
		}
	}
}
