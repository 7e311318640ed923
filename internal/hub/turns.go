package hub

import "time"

// turnWorkers is how many goroutines run stream turns (a few per core: writes rarely block).
const turnWorkers = 4

// schedule asks for a turn of an event-driven stream: catch up, and send a heartbeat when ping.
// At most one turn runs per stream; work that arrives meanwhile makes the running turn go again.
func (h *Hub) schedule(c *conn, ping bool) {
	if !h.claim(c, ping) {
		return
	}
	select {
	case h.turns <- c: // a worker whose stack has already grown for the write path
	default:
		h.beside(c) // the queue is full: don't wait
	}
}

// claim notes work for c and reports whether the caller is to start its turn (none runs).
func (h *Hub) claim(c *conn, ping bool) bool {
	if ping {
		c.ping.Store(true)
	}
	c.again.Store(true)
	return c.ready.Load() && c.busy.CompareAndSwap(false, true)
}

// beside runs c's turn on a goroutine of its own. A hub that is closing runs no more turns.
func (h *Hub) beside(c *conn) {
	if !h.spawn(func() { h.turn(c) }) {
		c.busy.Store(false)
	}
}

// turnWorker runs the turns of event-driven streams until the hub stops.
func (h *Hub) turnWorker() {
	for {
		select {
		case <-h.ctx.Done():
			return
		case c := <-h.turns:
			h.turn(c)
			h.turnsDone.Add(1)
		}
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

// heartbeatDriven schedules a heartbeat on every event-driven stream. They all come due at once,
// and each waits a round trip for its pong: when the queue is full, this waits for room rather
// than start a turn beside it right away (a goroutine per heartbeat at once — 15,000 of them with
// 19,000 streams, whose stacks left about 4 KB of RSS per stream behind), unless no room comes
// within a stall tick (workers blocked by clients that do not answer).
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
	room := time.NewTimer(stallTick)
	room.Stop()
	for _, c := range cs {
		if !h.claim(c, true) {
			continue
		}
		select {
		case h.turns <- c:
			continue
		default:
		}
		room.Reset(stallTick)
		select {
		case h.turns <- c:
		case <-room.C:
			h.beside(c)
		case <-h.ctx.Done():
			h.beside(c)
		}
		room.Stop()
	}
}
