// Package hub streams each person's event log to their open apps (X1): WebSocket (ws.go) and
// Server-Sent Events (sse.go), both resumable by seq.
//
// The database is the source of truth. A connection remembers the last seq it sent and, whenever
// it is woken, reads what follows from the log (store.EventsAfter) and sends it in order; so a
// reconnecting client that says the last seq it saw receives exactly what it missed. Wake-ups are
// hints: Notify calls Hub.Wake after commit, the hub wakes this node's connections of those people
// and publishes the wake-up on the Broker so other nodes wake theirs. If the broker loses a
// wake-up (NATS down), the hub's safety-net poll finds the connections that are behind within
// Options.Poll.
//
// The parts, one file each:
//   - hub.go: the Hub, its options and its lifetime (New, Shutdown, Close).
//   - registry.go: who has which streams open on this node (register, unregister, the cap per
//     person); presence.go: a person's first stream opening and last one closing.
//   - dispatch.go: wake-ups (Wake, Publish, the broker's) read the log once for all woken people
//     and offer the events to their streams, with the unread counts of everyone one commit told
//     read together (Options.UnreadMany); broadcast.go: frames for every stream (campaigns).
//   - stream.go: what one stream does when it runs (catch up from offers or the log, unread
//     counts, why it ended) and the goroutine-per-stream loop SSE uses.
//   - turns.go: the event-driven model WebSocket uses: no goroutine per idle stream, short turns
//     on a few workers; watchdog.go: helpers when slow clients block the workers.
//   - poll.go: the safety-net poll and the heartbeats of event-driven streams.
//   - ws.go, sse.go: the two transports; wsread.go, wspoll_linux.go: what a WebSocket client
//     sends (pongs, the close handshake) is read by short pumps the hub's poller starts, so an
//     idle stream has no read waiting either; broker.go, nats.go: wake-ups between nodes.
package hub

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/homebell/homebell/internal/observe"
	"github.com/homebell/homebell/internal/store"
)

// Options tune the hub; zero fields take the defaults.
type Options struct {
	// Heartbeat is the interval of WebSocket pings and SSE comments (default 25 s), which keep
	// proxies from closing idle streams and find dead connections.
	Heartbeat time.Duration
	// Poll is the safety-net interval at which the hub checks every connected person's log for
	// events no wake-up announced (default 5 s).
	Poll time.Duration
	// WriteTimeout bounds one write to a client (default 10 s). A client that does not take its
	// events within it is too slow and is disconnected; it resumes by seq.
	WriteTimeout time.Duration
	// MaxPerPerson caps a person's open streams on this node (default 8); opening one more closes
	// that person's oldest stream.
	MaxPerPerson int
	// Batch is how many events a connection reads from the log and holds at once (default 64):
	// with the kernel's socket buffer, the bound on what a slow client can make the node hold.
	Batch int
	// Metrics count the open streams; nil counts nothing.
	Metrics *observe.Metrics
	// Unread, when set, reads a person's unread counts (the message center's badge). A stream
	// sends them as an unread.changed frame when it opens and after every batch of events that
	// changes them, so clients never compute counts themselves.
	Unread func(ctx context.Context, personID string) (any, error)
	// UnreadMany, when set with Unread, reads the unread counts of many people at once (everyone
	// absent from the map is skipped). When a commit tells several people on this node, the hub
	// reads their counts with one call and hands each stream its counts with its events, instead
	// of each stream reading its own after sending them.
	UnreadMany func(ctx context.Context, personIDs []string) (map[string]any, error)
	// Now is the clock of the frames the hub makes itself (stream.open, unread.changed,
	// broadcasts); time.Now when nil. Write deadlines on connections stay on the wall clock.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Heartbeat <= 0 {
		o.Heartbeat = 25 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.MaxPerPerson <= 0 {
		o.MaxPerPerson = 8
	}
	if o.Batch <= 0 {
		o.Batch = 64
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Why a stream ended, as its context's cause.
var (
	// ErrSlowClient: a write did not complete within WriteTimeout.
	ErrSlowClient = errors.New("hub: client too slow; resume from the last seq")
	// ErrReplaced: the person opened more than MaxPerPerson streams and this was the oldest.
	ErrReplaced = errors.New("hub: too many streams for this person; the oldest was closed")
	// ErrShutdown: the node is shutting down; reconnect (to another node).
	ErrShutdown = errors.New("hub: server shutting down; reconnect")
)

// Hub holds this node's open streams.
type Hub struct {
	store  *store.Store
	broker Broker
	log    *slog.Logger
	opt    Options

	mu     sync.Mutex
	people map[string]map[*conn]struct{}
	serial uint64
	closed bool

	// ctx lives as long as the hub (Close cancels it): the hub's own reads of the log, its
	// wake-ups to other nodes, and every goroutine it started end with it.
	ctx    context.Context
	cancel context.CancelFunc
	// life counts the goroutines the hub started (see spawn); Close waits for them. Once stopping
	// is set (under gomu), nothing new starts.
	gomu      sync.Mutex
	stopping  bool
	life      sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	// Wake-ups waiting for the dispatcher, which reads the log once for all of them.
	wmu     sync.Mutex
	waiting map[string]struct{}
	woken   chan struct{}

	// Publishes whose streams' unread counts are read together once their events are offered
	// (see Publish), in commit order, by the publisher goroutine.
	pmu    sync.Mutex
	pqueue []publication
	pwoken chan struct{}

	// turns feeds the workers that run event-driven streams' turns; turnsDone counts finished ones.
	turns     chan *conn
	turnsDone atomic.Int64

	slow atomic.Int64
	// presence, when set, hears when a person's first stream on this node opens (true) and their
	// last one closes (false); support uses it for agents' online state (I3).
	presence atomic.Pointer[func(personID string, online bool)]
	// streams counts the WebSocket streams' goroutines; Close waits for them.
	streams sync.WaitGroup
	// presenceRuns are the OnPresence calls under way.
	presenceRuns sync.WaitGroup
	// wsPoll watches idle WebSocket connections for bytes to read (nil: none, each stream reads
	// on a goroutine); made with the first stream.
	wsPollOnce sync.Once
	wsPoll     *wsPoller
}

// poller is the hub's WebSocket poller, started with the first stream; nil where there is none.
func (h *Hub) poller() *wsPoller {
	h.wsPollOnce.Do(func() { h.wsPoll = newWSPoller(h) })
	return h.wsPoll
}

// New makes a hub and starts its goroutines (turn workers, watchdog, poll, dispatcher); broker nil
// means Local. Close stops them and waits for them.
func New(st *store.Store, broker Broker, log *slog.Logger, opt Options) (*Hub, error) {
	if broker == nil {
		broker = &Local{}
	}
	h := newHub(st, broker, log, opt)
	if err := broker.Subscribe(h.wakeLocal); err != nil {
		h.cancel()
		return nil, err
	}
	for range turnWorkers {
		h.spawn(h.turnWorker)
	}
	h.spawn(h.unstall)
	h.spawn(h.pollLoop)
	h.spawn(h.dispatch)
	h.spawn(h.publisher)
	return h, nil
}

// newHub makes a hub that runs nothing yet: New starts its goroutines; unit tests start the
// parts they test.
func newHub(st *store.Store, broker Broker, log *slog.Logger, opt Options) *Hub {
	opt.defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Hub{store: st, broker: broker, log: log, opt: opt, people: map[string]map[*conn]struct{}{},
		waiting: map[string]struct{}{}, woken: make(chan struct{}, 1), pwoken: make(chan struct{}, 1), turns: make(chan *conn, 4096)}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	return h
}

// spawn runs f on a goroutine of the hub's, which Close waits for. Once Close has begun it starts
// nothing and reports false: the streams are closed by then, so there is no work left to do.
func (h *Hub) spawn(f func()) bool {
	h.gomu.Lock()
	defer h.gomu.Unlock()
	if h.stopping {
		return false
	}
	h.life.Go(f)
	return true
}

// now is the injected clock, in UTC.
func (h *Hub) now() time.Time { return h.opt.Now().UTC() }

// Options reports the hub's settings after defaults.
func (h *Hub) Options() Options { return h.opt }

// Degraded says why this node's realtime is degraded now ("" when it is not): the broker does not
// reach the other nodes, so their streams learn of this node's commits only by polling.
func (h *Hub) Degraded() string {
	if !h.broker.Connected() {
		return "nats: unreachable; streams catch up by polling the log every " + h.opt.Poll.String()
	}
	return ""
}

// SlowDisconnects counts streams closed because the client was too slow.
func (h *Hub) SlowDisconnects() int64 { return h.slow.Load() }

// Shutdown closes every stream with ErrShutdown and refuses new ones, so clients reconnect to
// another node. App.Serve registers it with http.Server.RegisterOnShutdown.
func (h *Hub) Shutdown() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, cs := range h.people {
		for c := range cs {
			c.cancel(ErrShutdown)
		}
	}
}

// Close shuts the hub down: it closes every stream, waits for the WebSocket streams to close (a
// close handshake takes at most 5 s) and for the last presence calls, then stops the poll, the
// dispatcher, the turn workers and the watchdog, waits for every goroutine it started, and closes
// the broker. Calling it again returns the first call's result.
func (h *Hub) Close() error {
	h.closeOnce.Do(func() {
		h.Shutdown()
		h.streams.Wait()
		// The last streams' "offline" is told before Close returns, while what it writes to (the
		// store, for agents' presence) is still open.
		h.presenceRuns.Wait()
		h.gomu.Lock()
		h.stopping = true
		h.gomu.Unlock()
		h.cancel()
		h.life.Wait()
		h.closeErr = h.broker.Close()
	})
	return h.closeErr
}
