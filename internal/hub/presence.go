package hub

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
