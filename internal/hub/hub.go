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
package hub

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/homebell/homebell/internal/model"
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

	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}

	// Wake-ups waiting for the dispatcher, which reads the log once for all of them.
	wmu     sync.Mutex
	waiting map[string]struct{}
	woken   chan struct{}

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
}

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

// New makes a hub and starts its safety-net poll; broker nil means Local. Close stops it.
func New(st *store.Store, broker Broker, log *slog.Logger, opt Options) (*Hub, error) {
	opt.defaults()
	if broker == nil {
		broker = &Local{}
	}
	h := &Hub{store: st, broker: broker, log: log, opt: opt, people: map[string]map[*conn]struct{}{},
		stop: make(chan struct{}), done: make(chan struct{}), waiting: map[string]struct{}{}, woken: make(chan struct{}, 1)}
	if err := broker.Subscribe(h.wakeLocal); err != nil {
		return nil, err
	}
	h.turns = make(chan *conn, 4096)
	for range turnWorkers {
		go h.turnWorker()
	}
	go h.unstall()
	go h.pollLoop()
	go h.dispatch()
	return h, nil
}

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

// OnPresence sets f to hear, on a goroutine of its own, when a person's first stream on this node
// opens (online true) and when their last one closes (false). nil stops it.
func (h *Hub) OnPresence(f func(personID string, online bool)) {
	if f == nil {
		h.presence.Store(nil)
		return
	}
	h.presence.Store(&f)
}

func (h *Hub) tellPresence(personID string, online bool) {
	if f := h.presence.Load(); f != nil {
		h.presenceRuns.Go(func() { (*f)(personID, online) })
	}
}

// Wake tells the open streams of personIDs, on this node and (through the broker) on every other,
// that their log grew. Notify calls it after commit.
func (h *Hub) Wake(personIDs ...string) {
	if len(personIDs) == 0 {
		return
	}
	h.wakeLocal(personIDs)
	if err := h.broker.Publish(context.Background(), personIDs); err != nil {
		h.log.Debug("hub: publish wake-up", "err", err)
	}
}

// Publish is Wake carrying the committed log entries: streams on this node that are up to date
// get them without a read; other nodes are woken through the broker and read the log. A stream
// whose entries do not follow on from what it sent reads the log itself.
func (h *Hub) Publish(events map[string][]model.Event) {
	if len(events) == 0 {
		return
	}
	ids := make([]string, 0, len(events))
	type offer struct {
		c   *conn
		evs []model.Event
	}
	var offers []offer
	h.mu.Lock()
	for id, evs := range events {
		ids = append(ids, id)
		for c := range h.people[id] {
			offers = append(offers, offer{c, evs})
		}
	}
	h.mu.Unlock()
	for _, o := range offers {
		o.c.offer(o.evs)
	}
	if err := h.broker.Publish(context.Background(), ids); err != nil {
		h.log.Debug("hub: publish wake-up", "err", err)
	}
}

// BroadcastEvent is the type of a broadcast frame: one event for every open stream, written to no
// person's log (seq 0, and no SSE id, so it never moves a client's resume position). A campaign
// going live sends one, so online audience members refresh their message center without a
// per-person write; a client that was offline sees the campaign on its next read anyway.
const BroadcastEvent = "campaign.live"

// broadcastPrefix marks a broadcast travelling over the broker among person ids (which are
// ValidID and so never start with a NUL byte).
const broadcastPrefix = "\x00broadcast:"

// Broadcast sends data as one BroadcastEvent frame to every open stream on every node.
func (h *Hub) Broadcast(data []byte) {
	h.broadcastLocal(data)
	if err := h.broker.Publish(context.Background(), []string{broadcastPrefix + string(data)}); err != nil {
		h.log.Debug("hub: publish broadcast", "err", err)
	}
}

func (h *Hub) broadcastLocal(data []byte) {
	ev := model.Event{Type: BroadcastEvent, Data: data, CreatedAt: time.Now().UTC()}
	h.mu.Lock()
	var cs []*conn
	for _, set := range h.people {
		for c := range set {
			cs = append(cs, c)
		}
	}
	h.mu.Unlock()
	for _, c := range cs {
		c.mu.Lock()
		if len(c.bcast) < 16 { // a flood of broadcasts to a stalled client is dropped, not held
			c.bcast = append(c.bcast, ev)
		}
		c.mu.Unlock()
		c.poke()
	}
}

// takeBroadcasts returns and clears the stream's waiting broadcast frames.
func (c *conn) takeBroadcasts() []model.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.bcast
	c.bcast = nil
	return b
}

// wakeLocal hands the people to the dispatcher, which reads their new events once for all their
// streams on this node.
func (h *Hub) wakeLocal(personIDs []string) {
	h.wmu.Lock()
	for _, id := range personIDs {
		if len(id) > len(broadcastPrefix) && id[:len(broadcastPrefix)] == broadcastPrefix {
			go h.broadcastLocal([]byte(id[len(broadcastPrefix):]))
			continue
		}
		h.waiting[id] = struct{}{}
	}
	h.wmu.Unlock()
	select {
	case h.woken <- struct{}{}:
	default:
	}
}

// dispatchChunk is how many people one dispatcher read covers.
const dispatchChunk = 256

// dispatch reads the new events of woken people, many people per query, and offers them to their
// streams, so a commit that tells a thousand people costs a few reads, not a thousand. Whatever
// does not line up (a stream behind, a read that hit its limit or failed) falls back to the
// stream reading the log itself; the log stays the only source.
func (h *Hub) dispatch() {
	for {
		select {
		case <-h.stop:
			return
		case <-h.woken:
		}
		h.wmu.Lock()
		ids := make([]string, 0, len(h.waiting))
		for id := range h.waiting {
			ids = append(ids, id)
		}
		clear(h.waiting)
		h.wmu.Unlock()
		for len(ids) > 0 {
			n := min(len(ids), dispatchChunk)
			h.dispatchChunk(ids[:n])
			ids = ids[n:]
		}
	}
}

func (h *Hub) dispatchChunk(ids []string) {
	from := make(map[string]int64, len(ids))
	conns := make(map[string][]*conn, len(ids))
	h.mu.Lock()
	for _, id := range ids {
		for c := range h.people[id] {
			from[id] = max(from[id], c.last.Load())
			conns[id] = append(conns[id], c)
		}
	}
	h.mu.Unlock()
	if len(from) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), h.opt.Poll)
	evs, truncated, err := h.store.EventsAfterMany(ctx, from, len(from)*h.opt.Batch)
	cancel()
	if err != nil {
		h.log.Warn("hub: read woken events", "err", err)
	}
	for id, cs := range conns {
		for _, c := range cs {
			switch {
			case err != nil || truncated || c.last.Load() < from[id]:
				c.offer(nil) // read the log itself
			case len(evs[id]) > h.opt.Batch:
				c.offer(nil) // more than a stream may hold: it reads them a batch at a time
			case len(evs[id]) > 0:
				c.offer(evs[id])
			}
		}
	}
}

// offer gives the stream events read for it (nil: read the log yourself) and wakes it.
func (c *conn) offer(evs []model.Event) {
	c.mu.Lock()
	evs = slices.Clip(evs) // shared between a person's streams: never append in place
	// Offers may arrive out of order (commits on PostgreSQL run their hooks concurrently); any
	// gap or overlap falls back to reading the log, which is always right.
	switch {
	case evs == nil:
		c.pending, c.mustRead = nil, true
	case c.mustRead:
	case len(c.pending) == 0:
		c.pending = evs
	case evs[0].Seq <= c.pending[0].Seq && evs[len(evs)-1].Seq >= c.pending[len(c.pending)-1].Seq:
		c.pending = evs // covers what was offered before
	case evs[0].Seq == c.pending[len(c.pending)-1].Seq+1:
		c.pending = append(c.pending, evs...)
	default:
		c.pending, c.mustRead = nil, true
	}
	c.mu.Unlock()
	c.poke()
}

// take returns the offered events that follow last, or ok=false when the stream must read the
// log itself.
func (c *conn) take(last int64) (evs []model.Event, ok bool) {
	c.mu.Lock()
	evs, must := c.pending, c.mustRead
	c.pending, c.mustRead = nil, false
	c.mu.Unlock()
	if must || len(evs) == 0 {
		return nil, false
	}
	i := 0
	for i < len(evs) && evs[i].Seq <= last {
		i++
	}
	evs = evs[i:]
	if len(evs) > 0 && evs[0].Seq != last+1 {
		return nil, false
	}
	return evs, true
}

func (c *conn) poke() {
	if c.hub != nil {
		c.hub.schedule(c, false)
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
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

// Close shuts the hub down, waits for its streams to close (a WebSocket close handshake takes at
// most 5 s) and stops its poll, dispatcher and broker.
func (h *Hub) Close() error {
	h.Shutdown()
	h.streams.Wait()
	// The last streams' "offline" is told before Close returns, while what it writes to (the
	// store, for agents' presence) is still open.
	h.presenceRuns.Wait()
	h.stopOnce.Do(func() { close(h.stop) })
	<-h.done
	return h.broker.Close()
}

// pollLoop is the safety net: every Poll it reads the newest seq of every connected person in
// one query and wakes the streams that are behind.
func (h *Hub) pollLoop() {
	defer close(h.done)
	t := time.NewTicker(h.opt.Poll)
	defer t.Stop()
	hb := time.NewTicker(h.opt.Heartbeat)
	defer hb.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-hb.C:
			h.heartbeatDriven()
			continue
		case <-t.C:
		}
		h.mu.Lock()
		ids := make([]string, 0, len(h.people))
		for id := range h.people {
			ids = append(ids, id)
		}
		h.mu.Unlock()
		if len(ids) == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), h.opt.Poll)
		seqs, err := h.store.LastSeqs(ctx, ids)
		cancel()
		if err != nil {
			h.log.Warn("hub: poll", "err", err)
			continue
		}
		h.mu.Lock()
		for id, seq := range seqs {
			for c := range h.people[id] {
				if c.last.Load() < seq {
					c.poke()
				}
			}
		}
		h.mu.Unlock()
	}
}

// turnWorkers is how many goroutines run stream turns (a few per core: writes rarely block);
// stallTick is how long queued turns may wait behind blocked workers before helpers join.
const (
	turnWorkers = 4
	stallTick   = 50 * time.Millisecond
)

// schedule asks for a turn of an event-driven stream: catch up, and send a heartbeat when ping.
// At most one turn runs per stream; work that arrives meanwhile makes the running turn go again.
func (h *Hub) schedule(c *conn, ping bool) {
	if ping {
		c.ping.Store(true)
	}
	c.again.Store(true)
	if !c.ready.Load() || !c.busy.CompareAndSwap(false, true) {
		return
	}
	select {
	case h.turns <- c: // a worker whose stack has already grown for the write path
	default:
		go h.turn(c) // the queue is full: don't wait
	}
}

// turnWorker runs the turns of event-driven streams until the hub stops.
func (h *Hub) turnWorker() {
	for {
		select {
		case <-h.stop:
			return
		case c := <-h.turns:
			h.turn(c)
			h.turnsDone.Add(1)
		}
	}
}

// unstall keeps slow clients from holding up the queue: a write to a client that does not read
// blocks a worker for up to WriteTimeout. When turns wait and none finished for a tick, a helper
// goroutine drains the queue.
func (h *Hub) unstall() {
	t := time.NewTicker(stallTick)
	defer t.Stop()
	var last int64
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		done := h.turnsDone.Load()
		if done == last && len(h.turns) > 0 {
			go func() {
				for {
					select {
					case c := <-h.turns:
						h.turn(c)
						h.turnsDone.Add(1)
					default:
						return
					}
				}
			}()
		}
		last = done
	}
}

// turn is one burst of work of an event-driven stream. An error ends the stream (its context's
// cause says why; the stream's AfterFunc closes the connection).
func (h *Hub) turn(c *conn) {
	for {
		c.again.Store(false)
		if c.ctx.Err() != nil {
			c.busy.Store(false)
			return
		}
		err := h.catchUp(c, c.sink)
		if err == nil && c.ping.Swap(false) {
			if e := c.sink.heartbeat(c.ctx); e != nil {
				err = h.ended(c, e)
			}
		}
		if err != nil {
			c.cancel(err)
			c.busy.Store(false)
			return
		}
		c.busy.Store(false)
		// Work that came while this turn ran, unless a new turn already took it.
		if !c.again.Load() || !c.busy.CompareAndSwap(false, true) {
			return
		}
	}
}

// heartbeatDriven schedules a heartbeat on every event-driven stream.
func (h *Hub) heartbeatDriven() {
	h.mu.Lock()
	var cs []*conn
	for _, set := range h.people {
		for c := range set {
			if c.hub != nil {
				cs = append(cs, c)
			}
		}
	}
	h.mu.Unlock()
	for _, c := range cs {
		h.schedule(c, true)
	}
}

// sink writes events to one client.
type sink interface {
	// send writes events in order and returns once they were handed to the connection; a write
	// that takes longer than the hub's WriteTimeout fails.
	send(ctx context.Context, evs []model.Event) error
	// heartbeat keeps the connection alive and checks that it is.
	heartbeat(ctx context.Context) error
}

// run streams c's log to s until the stream ends, and returns why.
func (h *Hub) run(c *conn, s sink) error {
	hb := time.NewTicker(h.opt.Heartbeat)
	defer hb.Stop()
	for {
		if err := h.catchUp(c, s); err != nil {
			return err
		}
		select {
		case <-c.wake:
		case <-hb.C:
			if err := s.heartbeat(c.ctx); err != nil {
				return h.ended(c, err)
			}
		case <-c.ctx.Done():
			return context.Cause(c.ctx)
		}
	}
}

// catchUp sends everything after c.last: what the dispatcher offered when it follows on, else
// from the log, a batch at a time; then the unread counts when what it sent changed them.
func (h *Hub) catchUp(c *conn, s sink) error {
	changed := false
	defer func() {
		if changed {
			h.sendUnread(c, s)
		}
	}()
	if b := c.takeBroadcasts(); len(b) > 0 {
		if err := s.send(c.ctx, b); err != nil {
			return h.ended(c, err)
		}
		changed = true // a campaign went live: the platform count grew
	}
	if evs, ok := c.take(c.last.Load()); ok {
		if len(evs) == 0 {
			return nil
		}
		if err := s.send(c.ctx, evs); err != nil {
			changed = false
			return h.ended(c, err)
		}
		c.last.Store(evs[len(evs)-1].Seq)
		changed = changed || countsChange(evs)
		return nil
	}
	for {
		evs, err := h.store.EventsAfter(c.ctx, c.person, c.last.Load(), h.opt.Batch)
		if err != nil {
			if c.ctx.Err() != nil {
				return context.Cause(c.ctx)
			}
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		if err := s.send(c.ctx, evs); err != nil {
			changed = false
			return h.ended(c, err)
		}
		c.last.Store(evs[len(evs)-1].Seq)
		changed = changed || countsChange(evs)
		if len(evs) < h.opt.Batch {
			return nil
		}
	}
}

// countsChange reports whether evs change their person's unread counts: a new (or renewed)
// notification, or something marked read.
func countsChange(evs []model.Event) bool {
	for _, ev := range evs {
		if ev.Type == model.EventNotification || ev.Type == model.EventRead {
			return true
		}
	}
	return false
}

// sendUnread sends c's person their unread counts as an unread.changed frame (seq 0: it is in no
// log; the counts are read when it is sent, so the newest frame is always right). The counts are
// a convenience: when they cannot be read or sent, the stream goes on (a failed write ends it at
// the next send).
func (h *Hub) sendUnread(c *conn, s sink) {
	if h.opt.Unread == nil || c.ctx.Err() != nil {
		return
	}
	counts, err := h.opt.Unread(c.ctx, c.person)
	if err != nil {
		h.log.Debug("hub: unread counts", "person", c.person, "err", err)
		return
	}
	raw, err := json.Marshal(counts)
	if err != nil {
		return
	}
	_ = s.send(c.ctx, []model.Event{{Type: model.EventUnread, Data: raw, CreatedAt: time.Now().UTC()}})
}

// inNoLog reports whether frames of type are in no person's log (seq 0): SSE sends them without
// an id, so they do not move Last-Event-ID.
func inNoLog(typ string) bool { return typ == BroadcastEvent || typ == model.EventUnread }

// ended turns a write error into the reason the stream ended.
func (h *Hub) ended(c *conn, err error) error {
	if cause := context.Cause(c.ctx); errors.Is(cause, ErrShutdown) || errors.Is(cause, ErrReplaced) {
		return cause
	}
	// Checked before the stream's context: a timed-out write closes the connection, which ends
	// the WebSocket read loop and so cancels that context too.
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		h.slow.Add(1)
		return ErrSlowClient
	}
	if c.ctx.Err() != nil {
		return context.Cause(c.ctx)
	}
	return err
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// startSeq is where a stream without an explicit position starts: the end of the log, so a new
// client (which loaded its inbox over REST) gets what happens from now on.
func (h *Hub) startSeq(ctx context.Context, person string, after int64) (int64, int64, error) {
	last, err := h.store.LastSeq(ctx, person)
	if err != nil {
		return 0, 0, err
	}
	if after < 0 {
		after = last
	}
	return after, last, nil
}

// frame is the JSON of an event, built directly: the payload is JSON the store wrote, so it is not
// re-validated and re-compacted for every stream as encoding/json would.
func frame(ev model.Event) []byte {
	b := make([]byte, 0, 64+len(ev.Type)+len(ev.Data))
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, ev.Seq, 10)
	b = append(b, `,"type":`...)
	b = strconv.AppendQuote(b, ev.Type)
	b = append(b, `,"data":`...)
	if len(ev.Data) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, ev.Data...)
	}
	b = append(b, `,"created_at":"`...)
	b = ev.CreatedAt.UTC().AppendFormat(b, model.TimeLayout)
	return append(b, `"}`...)
}
