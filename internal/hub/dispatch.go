package hub

import (
	"context"
	"slices"

	"github.com/homebell/homebell/internal/model"
)

// Wake tells the open streams of personIDs, on this node and (through the broker) on every other,
// that their log grew. Notify calls it after commit.
func (h *Hub) Wake(personIDs ...string) {
	if len(personIDs) == 0 {
		return
	}
	h.wakeLocal(personIDs)
	if err := h.broker.Publish(h.ctx, personIDs); err != nil {
		h.log.Debug("hub: publish wake-up", "err", err)
	}
}

// Publish is Wake carrying the committed log entries: streams on this node that are up to date
// get them without a read; other nodes are woken through the broker and read the log. A stream
// whose entries do not follow on from what it sent reads the log itself.
//
// When the entries change the unread counts of several people with streams here (a chunk of a
// bulk cancellation tells a few hundred) and Options.UnreadMany is set, the publisher goroutine
// reads all their counts with one call and offers each stream its entries with its counts, so the
// streams do not each read their own (see catchUp).
func (h *Hub) Publish(events map[string][]model.Event) {
	if len(events) == 0 {
		return
	}
	ids := make([]string, 0, len(events))
	var offers []offered
	var counted []string // people with streams here whose counts the entries change
	h.mu.Lock()
	for id, evs := range events {
		ids = append(ids, id)
		cs := h.people[id]
		for c := range cs {
			offers = append(offers, offered{c, evs})
		}
		if len(cs) > 0 && h.opt.UnreadMany != nil && h.opt.Unread != nil && countsChange(evs) {
			counted = append(counted, id)
		}
	}
	h.mu.Unlock()
	if len(counted) >= 2 {
		h.pmu.Lock()
		h.pqueue = append(h.pqueue, publication{offers: offers, counted: counted})
		h.pmu.Unlock()
		select {
		case h.pwoken <- struct{}{}:
		default:
		}
	} else {
		for _, o := range offers {
			o.c.offer(o.evs, nil)
		}
	}
	if err := h.broker.Publish(h.ctx, ids); err != nil {
		h.log.Debug("hub: publish wake-up", "err", err)
	}
}

// offered is entries offered to one stream.
type offered struct {
	c   *conn
	evs []model.Event
}

// publication is one Publish waiting for its people's unread counts.
type publication struct {
	offers  []offered
	counted []string
}

// publisher offers the queued publications' entries, in the order they were published, each
// with the unread counts of its people read in one call.
func (h *Hub) publisher() {
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-h.pwoken:
		}
		for {
			h.pmu.Lock()
			if len(h.pqueue) == 0 {
				h.pmu.Unlock()
				break
			}
			p := h.pqueue[0]
			h.pqueue[0] = publication{}
			h.pqueue = h.pqueue[1:]
			h.pmu.Unlock()
			counts := h.unreadMany(p.counted)
			for _, o := range p.offers {
				o.c.offer(o.evs, counts[o.c.person])
			}
		}
	}
}

// unreadMany reads the unread counts of ids with one call (nil on failure: each stream then reads
// its own).
func (h *Hub) unreadMany(ids []string) map[string]any {
	if len(ids) == 0 || h.opt.UnreadMany == nil || h.opt.Unread == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(h.ctx, h.opt.Poll)
	defer cancel()
	counts, err := h.opt.UnreadMany(ctx, ids)
	if err != nil {
		h.log.Debug("hub: unread counts of many", "people", len(ids), "err", err)
		return nil
	}
	return counts
}

// wakeLocal hands the people to the dispatcher, which reads their new events once for all their
// streams on this node.
func (h *Hub) wakeLocal(personIDs []string) {
	h.wmu.Lock()
	for _, id := range personIDs {
		if len(id) > len(broadcastPrefix) && id[:len(broadcastPrefix)] == broadcastPrefix {
			data := []byte(id[len(broadcastPrefix):])
			h.spawn(func() { h.broadcastLocal(data) })
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
		case <-h.ctx.Done():
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
	ctx, cancel := context.WithTimeout(h.ctx, h.opt.Poll)
	evs, truncated, err := h.store.EventsAfterMany(ctx, from, len(from)*h.opt.Batch)
	cancel()
	if err != nil {
		h.log.Warn("hub: read woken events", "err", err)
	}
	// The counts of everyone whose offered events change them, read together.
	var counted []string
	if err == nil && !truncated {
		for id := range conns {
			if e := evs[id]; len(e) > 0 && len(e) <= h.opt.Batch && countsChange(e) {
				counted = append(counted, id)
			}
		}
	}
	var counts map[string]any
	if len(counted) >= 2 {
		counts = h.unreadMany(counted)
	}
	for id, cs := range conns {
		for _, c := range cs {
			switch {
			case err != nil || truncated || c.last.Load() < from[id]:
				c.offer(nil, nil) // read the log itself
			case len(evs[id]) > h.opt.Batch:
				c.offer(nil, nil) // more than a stream may hold: it reads them a batch at a time
			case len(evs[id]) > 0:
				c.offer(evs[id], counts[id])
			}
		}
	}
}

// offer gives the stream events read for it (nil: read the log yourself) and wakes it. counts,
// when not nil, are the person's unread counts read after the events' commit: the stream sends
// them after the events instead of reading its own.
func (c *conn) offer(evs []model.Event, counts any) {
	c.mu.Lock()
	evs = slices.Clip(evs) // shared between a person's streams: never append in place
	// Offers may arrive out of order (commits on PostgreSQL run their hooks concurrently); any
	// gap or overlap falls back to reading the log, which is always right.
	switch {
	case evs == nil:
		c.pending, c.mustRead, c.counts = nil, true, nil
	case c.mustRead:
	case len(c.pending) == 0:
		c.pending, c.counts = evs, counts
	case evs[0].Seq <= c.pending[0].Seq && evs[len(evs)-1].Seq >= c.pending[len(c.pending)-1].Seq:
		c.pending, c.counts = evs, counts // covers what was offered before
	case evs[0].Seq == c.pending[len(c.pending)-1].Seq+1:
		// The later commit's counts cover the earlier events too (they were read after it);
		// without them, the stream reads its own.
		c.pending, c.counts = append(c.pending, evs...), counts
	default:
		c.pending, c.mustRead, c.counts = nil, true, nil
	}
	c.mu.Unlock()
	c.poke()
}

// take returns the offered events that follow last, with the unread counts offered with them (nil:
// none), or ok=false when the stream must read the log itself.
func (c *conn) take(last int64) (evs []model.Event, counts any, ok bool) {
	c.mu.Lock()
	evs, counts, must := c.pending, c.counts, c.mustRead
	c.pending, c.counts, c.mustRead = nil, nil, false
	c.mu.Unlock()
	if must || len(evs) == 0 {
		return nil, nil, false
	}
	i := 0
	for i < len(evs) && evs[i].Seq <= last {
		i++
	}
	evs = evs[i:]
	if len(evs) > 0 && evs[0].Seq != last+1 {
		return nil, nil, false
	}
	return evs, counts, true
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
