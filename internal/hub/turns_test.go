package hub

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// quiet are options under which neither the poll nor the heartbeats tick during a test.
var quiet = Options{Poll: time.Hour, Heartbeat: time.Hour, Now: clockAtT0()}

// driven registers an event-driven (WebSocket-model) stream of person writing to s, ready for
// turns.
func driven(t *testing.T, h *Hub, person string, s sink) *conn {
	t.Helper()
	c, err := h.register(context.Background(), person, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	c.sink = s
	c.ready.Store(true)
	return c
}

// An event-driven stream runs at most one turn at a time: work that arrives while its turn writes
// makes that turn go again, and nothing is sent twice or out of order.
func TestX1OneTurnAtATimePerStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, err := New(nil, nil, nil, quiet) // no store: offers that follow on need no read
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		s := newGatedSink()
		c := driven(t, h, "c-1", s)
		c.offer(evs(1), false)
		<-s.entered // a worker's turn is writing [1]
		c.offer(evs(2), false)
		c.offer(evs(3), false)
		h.schedule(c, false)
		synctest.Wait()
		if len(h.turns) != 0 || !c.busy.Load() {
			t.Fatal("a second turn was queued while one ran")
		}
		s.release <- struct{}{}
		<-s.entered // the same turn went again
		s.release <- struct{}{}
		synctest.Wait()
		want := [][]int64{{1}, {2, 3}}
		if got := s.frames(); !slices.EqualFunc(got, want, slices.Equal) || s.maxActive != 1 {
			t.Fatalf("sent %v with up to %d writes at once, want %v one at a time", got, s.maxActive, want)
		}
		if c.busy.Load() {
			t.Error("the stream is still busy after its turn")
		}
	})
}

// Turns wait until the stream is ready (its first frame is out); a failed write ends the stream
// with the reason.
func TestX1TurnsWaitForReadyAndAFailedWriteEndsTheStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, err := New(nil, nil, nil, quiet)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		s := &recordingSink{err: context.DeadlineExceeded}
		c, _ := h.register(context.Background(), "c-1", 0, true)
		c.sink = s
		c.offer(evs(1), false)
		synctest.Wait()
		if len(s.frames()) != 0 || c.busy.Load() {
			t.Fatal("a turn ran before the stream was ready")
		}
		c.ready.Store(true)
		h.schedule(c, false)
		synctest.Wait()
		if cause := context.Cause(c.ctx); !errors.Is(cause, ErrSlowClient) {
			t.Errorf("stream ended with %v, want ErrSlowClient", cause)
		}
		if h.SlowDisconnects() != 1 || c.busy.Load() {
			t.Errorf("slow disconnects %d, busy %v; want 1, false", h.SlowDisconnects(), c.busy.Load())
		}
	})
}

// When the turn queue is full, a turn runs on a goroutine of its own instead of waiting; Close
// waits for it, and a closing hub starts none.
func TestX1FullTurnQueueStartsATurnBesideIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(nil, &Local{}, nil, quiet) // no workers: the queue stays as filled
		for range cap(h.turns) {
			h.turns <- &conn{}
		}
		s := &recordingSink{}
		c := driven(t, h, "c-1", s)
		c.offer(evs(1), false)
		synctest.Wait()
		if got := s.frames(); !slices.EqualFunc(got, [][]int64{{1}}, slices.Equal) {
			t.Fatalf("sent %v, want [[1]] from a turn beside the full queue", got)
		}
		for range cap(h.turns) {
			<-h.turns
		}
		h.Close()
		c2 := &conn{}
		c2.ready.Store(true)
		h.turns = make(chan *conn) // no room
		h.schedule(c2, false)
		if c2.busy.Load() {
			t.Error("a closed hub left a stream busy with a turn it never started")
		}
	})
}

// Every Heartbeat the hub has each event-driven stream send a heartbeat; SSE streams keep their
// own.
func TestX1HeartbeatTicksEveryDrivenStream(t *testing.T) {
	st := testStore(t)
	p := person(t, "c")
	synctest.Test(t, func(t *testing.T) {
		opt := quiet
		opt.Heartbeat = 10 * time.Second
		h, err := New(st, nil, nil, opt)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		ws := &recordingSink{}
		driven(t, h, p, ws)
		sse, _ := h.register(context.Background(), p, 0, false)
		time.Sleep(10*time.Second - time.Millisecond)
		synctest.Wait()
		if ws.heartbeats() != 0 {
			t.Fatal("a heartbeat before Heartbeat passed")
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if ws.heartbeats() != 1 {
			t.Fatalf("%d heartbeats after Heartbeat, want 1", ws.heartbeats())
		}
		if len(sse.wake) != 0 {
			t.Error("the hub's heartbeat woke an SSE stream")
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if ws.heartbeats() != 2 {
			t.Fatalf("%d heartbeats after two, want 2", ws.heartbeats())
		}
	})
}

// Heartbeats come due for every stream at once: when the queue is full the hub waits for room
// rather than start a goroutine per heartbeat, and runs one beside the queue only when no room
// comes within a stall tick.
func TestX1HeartbeatsWaitForRoomInTheQueue(t *testing.T) {
	st := testStore(t)
	p := person(t, "c")
	synctest.Test(t, func(t *testing.T) {
		h := newHub(st, &Local{}, nil, quiet) // no workers: the queue stays as filled
		defer h.Close()
		s := &recordingSink{}
		c := driven(t, h, p, s)
		fill := func() {
			for len(h.turns) < cap(h.turns) {
				h.turns <- &conn{}
			}
		}
		fill()
		done := make(chan struct{})
		go func() { h.heartbeatDriven(); close(done) }()
		time.Sleep(stallTick / 2)
		synctest.Wait()
		if s.heartbeats() != 0 {
			t.Fatal("a heartbeat ran beside the full queue before a stall tick passed")
		}
		<-h.turns // a worker takes a turn: room
		<-done
		var last *conn
		for len(h.turns) > 0 {
			last = <-h.turns
		}
		if last != c || s.heartbeats() != 0 {
			t.Fatalf("the heartbeat was not queued in the room that came (%d sent beside)", s.heartbeats())
		}
		c.busy.Store(false) // the queued turn, never run
		fill()
		go h.heartbeatDriven()
		time.Sleep(stallTick)
		synctest.Wait()
		if s.heartbeats() != 1 {
			t.Fatalf("%d heartbeats after a stall tick without room, want 1 beside the queue", s.heartbeats())
		}
		for len(h.turns) > 0 {
			<-h.turns
		}
	})
}
