package hub

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/testkit"
)

// The hand-built frame is the same JSON encoding/json makes of a model.Event.
func TestX1FrameIsTheEventJSON(t *testing.T) {
	ev := model.Event{Seq: 42, Type: model.EventNotification, Data: json.RawMessage(`{"notification":{"title":"师傅已出发 \"快\""}}`),
		CreatedAt: time.Date(2026, 11, 24, 9, 30, 0, 123456000, time.UTC)}
	want, _ := json.Marshal(ev)
	if got := frame(ev); string(got) != string(want) {
		t.Fatalf("frame\n%s\nwant\n%s", got, want)
	}
	if got := frame(model.Event{Seq: 1, Type: "x"}); !json.Valid(got) {
		t.Fatalf("frame without data is not JSON: %s", got)
	}
}

// recordingSink is a client that takes every frame; with gate set, each send first says it began
// (on entered) and waits to be let go (on release), so a test holds a write in flight.
type recordingSink struct {
	mu        sync.Mutex
	sends     [][]model.Event
	pings     int
	err       error // what every send and heartbeat returns
	gate      bool
	entered   chan struct{}
	release   chan struct{}
	active    int
	maxActive int
}

func newGatedSink() *recordingSink {
	return &recordingSink{gate: true, entered: make(chan struct{}), release: make(chan struct{})}
}

func (s *recordingSink) send(_ context.Context, evs []model.Event) error {
	s.mu.Lock()
	s.active++
	s.maxActive = max(s.maxActive, s.active)
	s.mu.Unlock()
	if s.gate {
		s.entered <- struct{}{}
		<-s.release
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active--
	s.sends = append(s.sends, evs)
	return s.err
}

func (s *recordingSink) heartbeat(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pings++
	return s.err
}

// frames lists each send as its events' seqs, an unread.changed frame as -1.
func (s *recordingSink) frames() [][]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := [][]int64{}
	for _, evs := range s.sends {
		f := []int64{}
		for _, ev := range evs {
			if ev.Type == model.EventUnread {
				f = append(f, -1)
			} else {
				f = append(f, ev.Seq)
			}
		}
		out = append(out, f)
	}
	return out
}

func (s *recordingSink) heartbeats() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pings
}

func unreadCounts(_ context.Context, personID string) (any, error) {
	return map[string]int{"total": 3}, nil
}

// A stream catches up from the log a batch at a time, then sends the unread counts once, stamped
// with the hub's clock as it is then.
func TestX1CatchUpSendsTheLogInBatchesThenTheCounts(t *testing.T) {
	st := testStore(t)
	clk := testkit.NewClock(t0)
	h := testHub(t, st, nil, Options{Batch: 2, Unread: unreadCounts, Now: clk.Now})
	p := person(t, "c")
	appendEvents(t, st, p, model.EventNotification, 5)
	c, _ := h.register(context.Background(), p, 0, false)
	s := &recordingSink{}
	if err := h.catchUp(c, s); err != nil {
		t.Fatal(err)
	}
	want := [][]int64{{1, 2}, {3, 4}, {5}, {-1}}
	if got := s.frames(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	if c.last.Load() != 5 {
		t.Errorf("last %d, want 5", c.last.Load())
	}
	u := s.sends[3][0]
	if !u.CreatedAt.Equal(t0) || string(u.Data) != `{"total":3}` {
		t.Errorf("unread frame %s at %s, want the counts at the hub's clock", u.Data, u.CreatedAt)
	}
	if err := h.catchUp(c, s); err != nil || len(s.frames()) != 4 {
		t.Errorf("a caught-up stream sent %v (%v), want nothing more", s.frames()[4:], err)
	}
	clk.Add(time.Hour)
	appendEvents(t, st, p, model.EventRead, 1)
	if err := h.catchUp(c, s); err != nil {
		t.Fatal(err)
	}
	if u := s.sends[len(s.sends)-1][0]; u.Type != model.EventUnread || !u.CreatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("after a read: %s at %s, want unread.changed an hour later", u.Type, u.CreatedAt)
	}
}

// The counts follow only what changes them: new or read notifications and campaigns going live,
// not other events; offered events are sent without reading the log.
func TestX1CatchUpSendsCountsOnlyWhenTheyChange(t *testing.T) {
	h := testHub(t, nil, nil, Options{Unread: unreadCounts}) // no store: offers only
	c, _ := h.register(context.Background(), person(t, "c"), 0, false)
	s := &recordingSink{}
	other := evs(1, 2) // type "t": no count changes
	c.offer(other, false)
	if err := h.catchUp(c, s); err != nil {
		t.Fatal(err)
	}
	read := []model.Event{{Seq: 3, Type: model.EventRead}}
	c.offer(read, false)
	if err := h.catchUp(c, s); err != nil {
		t.Fatal(err)
	}
	h.register(context.Background(), person(t, "other"), 0, false)
	h.broadcastLocal([]byte(`{"id":"camp-1"}`))
	c.offer(evs(4), false)
	if err := h.catchUp(c, s); err != nil {
		t.Fatal(err)
	}
	// A renewed entry that was unread already (its writer says so) leaves the counts alone; a
	// notification without that mark changes them.
	c.offer([]model.Event{{Seq: 5, Type: model.EventNotification, SameCounts: true}}, false)
	if err := h.catchUp(c, s); err != nil {
		t.Fatal(err)
	}
	c.offer([]model.Event{{Seq: 6, Type: model.EventNotification}}, false)
	if err := h.catchUp(c, s); err != nil {
		t.Fatal(err)
	}
	want := [][]int64{{1, 2}, {3}, {-1}, {0}, {4}, {-1}, {5}, {6}, {-1}}
	if got := s.frames(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	if b := s.sends[3][0]; b.Type != BroadcastEvent || !b.CreatedAt.Equal(t0) {
		t.Errorf("broadcast frame %+v, want %s at the hub's clock", b, BroadcastEvent)
	}
}

// A failed write says why the stream ended: a timeout is a slow client (counted), unless the
// stream was already being closed by the hub, whose reason wins.
func TestX1EndedSaysWhy(t *testing.T) {
	boom := errors.New("connection reset")
	for _, tc := range []struct {
		name  string
		cause error // the stream's context's, nil: live
		err   error
		want  error
		slow  int64
	}{
		{"write timed out", nil, context.DeadlineExceeded, ErrSlowClient, 1},
		{"net timeout", nil, &net.OpError{Op: "write", Err: os.ErrDeadlineExceeded}, ErrSlowClient, 1},
		{"other error", nil, boom, boom, 0},
		{"client went away", context.Canceled, boom, context.Canceled, 0},
		{"shutdown wins", ErrShutdown, context.DeadlineExceeded, ErrShutdown, 0},
		{"replaced wins", ErrReplaced, boom, ErrReplaced, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := testHub(t, nil, nil, Options{})
			c, _ := h.register(context.Background(), person(t, "c"), 0, false)
			if tc.cause != nil {
				c.cancel(tc.cause)
			}
			if got := h.ended(c, tc.err); !errors.Is(got, tc.want) {
				t.Errorf("ended = %v, want %v", got, tc.want)
			}
			if h.SlowDisconnects() != tc.slow {
				t.Errorf("slow disconnects %d, want %d", h.SlowDisconnects(), tc.slow)
			}
		})
	}
}

// The goroutine-per-stream model (SSE): the stream's own loop sends what it is woken for and a
// heartbeat every Heartbeat of the clock, and ends with the hub's reason.
func TestX1StreamLoopSendsWhenWokenAndHeartbeats(t *testing.T) {
	st := testStore(t)
	p := person(t, "c")
	synctest.Test(t, func(t *testing.T) {
		h := newHub(st, &Local{}, nil, Options{Heartbeat: 25 * time.Second, Now: clockAtT0()})
		c, err := h.register(context.Background(), p, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		s := &recordingSink{}
		ended := make(chan error, 1)
		go func() { ended <- h.run(c, s) }()
		synctest.Wait()
		if got := s.frames(); len(got) != 0 {
			t.Fatalf("sent %v before anything happened", got)
		}
		c.offer(evs(1), false)
		synctest.Wait()
		if got := s.frames(); !slices.EqualFunc(got, [][]int64{{1}}, slices.Equal) {
			t.Fatalf("sent %v after an offer, want [[1]]", got)
		}
		time.Sleep(25*time.Second - time.Millisecond)
		synctest.Wait()
		if n := s.heartbeats(); n != 0 {
			t.Fatalf("%d heartbeats before Heartbeat passed", n)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if n := s.heartbeats(); n != 1 {
			t.Fatalf("%d heartbeats after Heartbeat, want 1", n)
		}
		h.Shutdown()
		if err := <-ended; !errors.Is(err, ErrShutdown) {
			t.Errorf("stream ended with %v, want ErrShutdown", err)
		}
		h.unregister(c)
		h.Close()
	})
}
