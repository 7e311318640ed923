package hub

import "github.com/homebell/homebell/internal/model"

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
	if err := h.broker.Publish(h.ctx, []string{broadcastPrefix + string(data)}); err != nil {
		h.log.Debug("hub: publish broadcast", "err", err)
	}
}

func (h *Hub) broadcastLocal(data []byte) {
	ev := model.Event{Type: BroadcastEvent, Data: data, CreatedAt: h.now()}
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
