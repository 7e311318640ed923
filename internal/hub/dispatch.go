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
// bulk cancellation tells a few hundred) and Options.UnreadMany is set, the entries are offered at
// once and the publisher goroutine then reads all their counts with one call and hands each stream
// its own (giveCounts), so the streams do not each read theirs (see catchUp) and the entries'
// frames do not wait for the read.
func (h *Hub) Publish(events map[string][]model.Event) {
	if len(events) == 0 {
		return
	}
	ids := make([]string, 0, len(events))
	type offer struct {
		c   *conn
		evs []model.Event
		due bool
	}
	var offers []offer
	var p publication // people with streams here whose counts the entries change
	batch := h.opt.UnreadMany != nil && h.opt.Unread != nil
	h.mu.Lock()
	for id, evs := range events {
		ids = append(ids, id)
		cs := h.people[id]
		due := batch && len(cs) > 0 && countsChange(evs)
		if due {
			p.counted = append(p.counted, id)
		}
		for c := range cs {
			offers = append(offers, offer{c, evs, due})
			if due {
				p.streams = append(p.streams, counted{c, evs[len(evs)-1].Seq})
			}
		}
	}
	h.mu.Unlock()
	many := len(p.counted) >= 2
	for _, o := range offers {
		o.c.offer(o.evs, o.due && many)
	}
	if many {
		h.pmu.Lock()
		h.pqueue = append(h.pqueue, p)
		h.pmu.Unlock()
		select {
		case h.pwoken <- struct{}{}:
		default:
		}
	}
	if err := h.broker.Publish(h.ctx, ids); err != nil {
		h.log.Debug("hub: publish wake-up", "err", err)
	}
}

// counted is a stream waiting for its person's unread counts, read after the commit of the entry
// with seq cover.
type counted struct {
	c     *conn
	cover int64
}

// publication is one Publish's streams waiting for their people's unread counts.
type publication struct {
	counted []string
	streams []counted
}

// publisher reads the queued publications' unread counts, one call each, in the order they were
// published, and hands each stream its person's.
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
			h.giveCounts(p)
		}
	}
}

// giveCounts reads p's counts and hands them to its streams (on failure, nothing: each stream
// then reads its own).
func (h *Hub) giveCounts(p publication) {
	counts := h.unreadMany(p.counted)
	for _, s := range p.streams {
		s.c.giveCounts(counts[s.c.person], s.cover)
	}
}

// unreadMany reads the unread counts of ids with one call (nil on failure); only publications
// made with Options.UnreadMany set reach it.
func (h *Hub) unreadMany(ids []string) map[string]any {
	if len(ids) == 0 {
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
	// The counts of everyone whose offered events change them are read together, after the
	// events are offered.
	var p publication
	batch := err == nil && !truncated && h.opt.UnreadMany != nil && h.opt.Unread != nil
	if batch {
		for id := range conns {
			if e := evs[id]; len(e) > 0 && len(e) <= h.opt.Batch && countsChange(e) {
				p.counted = append(p.counted, id)
			}
		}
	}
	many := len(p.counted) >= 2
	for id, cs := range conns {
		for _, c := range cs {
			switch {
			case err != nil || truncated || c.last.Load() < from[id]:
				c.offer(nil, false) // read the log itself
			case len(evs[id]) > h.opt.Batch:
				c.offer(nil, false) // more than a stream may hold: it reads them a batch at a time
			case len(evs[id]) > 0:
				due := many && countsChange(evs[id])
				c.offer(evs[id], due)
				if due {
					p.streams = append(p.streams, counted{c, evs[id][len(evs[id])-1].Seq})
				}
			}
		}
	}
	if many {
		h.giveCounts(p)
	}
}

// offer gives the stream events read for it (nil: read the log yourself) and wakes it. due says
// that the person's unread counts, read after these events' commit, will follow (giveCounts): the
// stream sends them after the events instead of reading its own.
func (c *conn) offer(evs []model.Event, due bool) {
	c.mu.Lock()
	evs = slices.Clip(evs) // shared between a person's streams: never append in place
	// Offers may arrive out of order (commits on PostgreSQL run their hooks concurrently); any
	// gap or overlap falls back to reading the log, which is always right.
	accepted := true
	switch {
	case evs == nil:
		c.pending, c.mustRead, accepted = nil, true, false
	case c.mustRead:
		accepted = false
	case len(c.pending) == 0:
		c.pending = evs
	case evs[0].Seq <= c.pending[0].Seq && evs[len(evs)-1].Seq >= c.pending[len(c.pending)-1].Seq:
		c.pending = evs // covers what was offered before
	case evs[0].Seq == c.pending[len(c.pending)-1].Seq+1:
		c.pending = append(c.pending, evs...)
	default:
		c.pending, c.mustRead, accepted = nil, true, false
	}
	switch {
	case accepted && due:
		c.countsDue = max(c.countsDue, evs[len(evs)-1].Seq)
	default:
		// Entries whose counts nobody reads for the stream (or read from the log): counts
		// coming for earlier ones do not cover them.
		c.countsDue = 0
	}
	c.mu.Unlock()
	c.poke()
}

// giveCounts hands the stream its person's unread counts read after the commit of the entry with
// seq cover (nil: the read failed) and wakes it.
func (c *conn) giveCounts(counts any, cover int64) {
	c.mu.Lock()
	if counts != nil && cover >= c.countsFor {
		c.counts, c.countsFor = counts, cover
	}
	if cover >= c.countsDue {
		c.countsDue = 0 // nothing more is coming
	}
	c.countsWake = true
	c.mu.Unlock()
	c.poke()
}

// askRead wakes the stream to read the log (the poll found it behind; it just opened).
func (c *conn) askRead() {
	c.mu.Lock()
	c.readLog = true
	c.mu.Unlock()
	c.poke()
}

// countsNow returns what the stream is to do about the counts it owes after sending up to seq
// last: send counts (read after that), wait for counts on their way, or (both zero) read its own.
func (c *conn) countsNow(last int64) (counts any, wait bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts != nil && c.countsFor >= last {
		counts = c.counts
		c.counts = nil
		return counts, false
	}
	c.counts = nil
	return nil, c.countsDue >= last
}

// take returns the offered events that follow last, or ok=false when the stream must read the
// log itself. With nothing offered, the stream reads the log, unless only counts woke it.
func (c *conn) take(last int64) (evs []model.Event, ok bool) {
	c.mu.Lock()
	evs, must, countsOnly := c.pending, c.mustRead, c.countsWake && !c.readLog
	c.pending, c.mustRead, c.countsWake, c.readLog = nil, false, false, false
	c.mu.Unlock()
	if must || len(evs) == 0 && !countsOnly {
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
