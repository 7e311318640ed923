package hub

import (
	"context"
	"time"
)

// pollLoop is the safety net: every Poll it reads the newest seq of every connected person in
// one query and wakes the streams that are behind. Every Heartbeat it has the event-driven streams
// (which have no loop of their own) send one.
func (h *Hub) pollLoop() {
	t := time.NewTicker(h.opt.Poll)
	defer t.Stop()
	hb := time.NewTicker(h.opt.Heartbeat)
	defer hb.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-hb.C:
			h.heartbeatDriven()
		case <-t.C:
			h.poll()
		}
	}
}

// poll reads the newest seq of every person with a stream on this node and wakes the streams
// that are behind it.
func (h *Hub) poll() {
	h.mu.Lock()
	ids := make([]string, 0, len(h.people))
	for id := range h.people {
		ids = append(ids, id)
	}
	h.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(h.ctx, h.opt.Poll)
	seqs, err := h.store.LastSeqs(ctx, ids)
	cancel()
	if err != nil {
		if h.ctx.Err() == nil {
			h.log.Warn("hub: poll", "err", err)
		}
		return
	}
	h.mu.Lock()
	for id, seq := range seqs {
		for c := range h.people[id] {
			if c.last.Load() < seq {
				c.askRead()
			}
		}
	}
	h.mu.Unlock()
}
