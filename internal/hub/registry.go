package hub

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/homebell/homebell/internal/model"
)

// conn is one open stream.
type conn struct {
	person string
	serial uint64 // opening order, to find a person's oldest stream
	last   atomic.Int64
	wake   chan struct{} // capacity 1: wake-ups coalesce
	ctx    context.Context
	cancel context.CancelCauseFunc

	// Events the dispatcher read for this stream, not yet sent; mustRead asks the stream to read
	// the log itself (the offers did not line up).
	mu       sync.Mutex
	pending  []model.Event
	mustRead bool
	// Unread counts handed to the stream (see Publish): counts, read after the commit of seq
	// countsFor (nil: none); countsDue, the newest offered seq whose counts are on their way (0:
	// none). owed (the stream's turns only) says an unread.changed frame is owed for what was sent.
	counts    any
	countsFor int64
	countsDue int64
	owed      bool
	// countsWake: giveCounts woke the stream; readLog: something asked it to read the log (with
	// nothing offered, a wake by counts alone reads nothing).
	countsWake bool
	readLog    bool
	// Broadcast frames (seq 0) waiting to be sent: not in any log, see Hub.Broadcast.
	bcast []model.Event

	// Event-driven streams (WebSocket) have no goroutine of their own while idle: a wake-up or a
	// heartbeat starts a short-lived turn (see schedule). nil hub: the stream runs its own loop.
	hub   *Hub
	sink  sink        // set before ready
	ready atomic.Bool // sink is set: turns may run
	busy  atomic.Bool // a turn is running
	again atomic.Bool // work arrived since the running turn looked
	ping  atomic.Bool // the next turn also sends a heartbeat
}

// Connections counts open streams on this node.
func (h *Hub) Connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, cs := range h.people {
		n += len(cs)
	}
	return n
}

// Online reports whether the person has an open stream on this node.
func (h *Hub) Online(personID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.people[personID]) > 0
}

// register opens a stream for person starting after seq after. The stream ends when ctx does, or
// when the hub ends it (cause ErrSlowClient, ErrReplaced or ErrShutdown).
func (h *Hub) register(ctx context.Context, person string, after int64, driven bool) (*conn, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, model.Errorf(model.CodeUnavailable, "the server is shutting down; reconnect")
	}
	cs := h.people[person]
	if cs == nil {
		cs = map[*conn]struct{}{}
		h.people[person] = cs
	}
	for len(cs) >= h.opt.MaxPerPerson {
		var oldest *conn
		for c := range cs {
			if oldest == nil || c.serial < oldest.serial {
				oldest = c
			}
		}
		oldest.cancel(ErrReplaced)
		delete(cs, oldest)
	}
	h.serial++
	c := &conn{person: person, serial: h.serial, wake: make(chan struct{}, 1)}
	if driven {
		c.hub = h
	}
	c.ctx, c.cancel = context.WithCancelCause(ctx)
	c.last.Store(after)
	cs[c] = struct{}{}
	if len(cs) == 1 {
		h.tellPresence(person, true)
	}
	return c, nil
}

func (h *Hub) unregister(c *conn) {
	c.cancel(context.Canceled)
	h.mu.Lock()
	defer h.mu.Unlock()
	if cs := h.people[c.person]; cs != nil {
		_, was := cs[c]
		delete(cs, c)
		if len(cs) == 0 {
			delete(h.people, c.person)
			if was {
				h.tellPresence(c.person, false)
			}
		}
	}
}
