package hub

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/homebell/homebell/internal/model"
)

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
//
// The counts handed to the stream (see Publish) stand for a read when they were read after the
// commit of the last entry sent; while such counts are on their way the stream sends none (their
// arrival wakes it, and it sends them then). After a broadcast, or without counts coming, the
// stream reads its own.
func (h *Hub) catchUp(c *conn, s sink) error {
	broadcast := false
	defer func() {
		if !c.owed {
			return
		}
		counts, wait := c.countsNow(c.last.Load())
		switch {
		case broadcast:
			h.sendUnread(c, s)
		case counts != nil:
			h.sendCounts(c, s, counts)
		case wait:
			return // still owed
		default:
			h.sendUnread(c, s)
		}
		c.owed = false
	}()
	if b := c.takeBroadcasts(); len(b) > 0 {
		if err := s.send(c.ctx, b); err != nil {
			return h.ended(c, err)
		}
		c.owed, broadcast = true, true // a campaign went live: the platform count grew
	}
	// deliver sends evs and moves the stream past them.
	deliver := func(evs []model.Event) error {
		if err := s.send(c.ctx, evs); err != nil {
			c.owed = false
			return h.ended(c, err)
		}
		c.last.Store(evs[len(evs)-1].Seq)
		c.owed = c.owed || countsChange(evs)
		return nil
	}
	if evs, ok := c.take(c.last.Load()); ok {
		if len(evs) == 0 {
			return nil
		}
		return deliver(evs)
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
		if err := deliver(evs); err != nil {
			return err
		}
		if len(evs) < h.opt.Batch {
			return nil
		}
	}
}

// countsChange reports whether evs change their person's unread counts: a new (or renewed)
// notification, or something marked read — unless its writer knew the counts stayed the same.
func countsChange(evs []model.Event) bool {
	for _, ev := range evs {
		if (ev.Type == model.EventNotification || ev.Type == model.EventRead) && !ev.SameCounts {
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
	h.sendCounts(c, s, counts)
}

// sendCounts sends counts as an unread.changed frame.
func (h *Hub) sendCounts(c *conn, s sink, counts any) {
	if c.ctx.Err() != nil {
		return
	}
	raw, err := json.Marshal(counts)
	if err != nil {
		return
	}
	_ = s.send(c.ctx, []model.Event{{Type: model.EventUnread, Data: raw, CreatedAt: h.now()}})
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
	return appendFrame(make([]byte, 0, frameLen(ev)), ev)
}

// frameLen is at least the length of ev's frame: the fixed text (45 bytes), the seq (at most 20),
// the type quoted (escapes aside), the data and the time (27).
func frameLen(ev model.Event) int { return 96 + 2*len(ev.Type) + len(ev.Data) }

// appendFrame appends ev's frame to b.
func appendFrame(b []byte, ev model.Event) []byte {
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
