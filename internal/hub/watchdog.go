package hub

import "time"

// stallTick is how long queued turns may wait behind blocked workers before helpers join.
const stallTick = 50 * time.Millisecond

// unstall keeps slow clients from holding up the queue: a write to a client that does not read
// blocks a worker for up to WriteTimeout. When turns wait and none finished for a tick, a helper
// goroutine drains the queue.
func (h *Hub) unstall() {
	t := time.NewTicker(stallTick)
	defer t.Stop()
	var last int64
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
		}
		done := h.turnsDone.Load()
		if done == last && len(h.turns) > 0 {
			h.spawn(h.drainTurns)
		}
		last = done
	}
}

// drainTurns runs queued turns until the queue is empty.
func (h *Hub) drainTurns() {
	for {
		select {
		case c := <-h.turns:
			h.turn(c)
			h.turnsDone.Add(1)
		default:
			return
		}
	}
}
