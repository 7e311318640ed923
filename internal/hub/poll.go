package hub

import (
	"context"
	"time"
)

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
