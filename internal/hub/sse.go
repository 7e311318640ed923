package hub

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/model"
)

// ServeSSE streams personID's events after seq after (after < 0: from the end of the log) as
// Server-Sent Events: "id: <seq>", "event: <type>", "data: <json of model.Event>". A Last-Event-ID
// header (sent by EventSource when it reconnects) overrides after. A comment line every Heartbeat
// keeps proxies from closing the stream. When the stream is closed by the server (shutdown, too
// many streams, too slow) a final "stream.close" event says why; EventSource reconnects by itself.
func (h *Hub) ServeSSE(w http.ResponseWriter, r *http.Request, personID string, after int64) error {
	if v := strings.TrimSpace(r.Header.Get("Last-Event-ID")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return model.Invalid(model.FieldError{Field: "Last-Event-ID", Message: "must be a seq (a non-negative integer)"})
		}
		after = n
	}
	after, last, err := h.startSeq(r.Context(), personID, after)
	if err != nil {
		return err
	}
	c, err := h.register(r.Context(), personID, after, false)
	if err != nil {
		return err
	}
	defer h.unregister(c)
	defer h.opt.Metrics.StreamOpened("sse")()
	rc := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	s := &sseSink{w: w, rc: rc, timeout: h.opt.WriteTimeout}
	_, _ = w.Write([]byte("retry: 2000\n"))
	raw, _ := json.Marshal(map[string]int64{"last_seq": last})
	if err := s.send(c.ctx, []model.Event{{Seq: after, Type: OpenEvent, Data: raw, CreatedAt: h.now()}}); err != nil {
		return nil
	}
	h.sendUnread(c, s)
	err = h.run(c, s)
	reason := ""
	switch {
	case errors.Is(err, ErrShutdown):
		reason = "shutdown"
	case errors.Is(err, ErrReplaced):
		reason = "too_many_streams"
	}
	if reason != "" {
		_ = s.write("event: stream.close\ndata: {\"reason\":\"" + reason + "\"}\n\n")
	}
	return nil
}

type sseSink struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (s *sseSink) send(_ context.Context, evs []model.Event) error {
	var b strings.Builder
	for _, ev := range evs {
		raw := frame(ev)
		if !inNoLog(ev.Type) { // a broadcast or unread.changed is in no log: it must not move Last-Event-ID
			b.WriteString("id: ")
			b.WriteString(strconv.FormatInt(ev.Seq, 10))
			b.WriteString("\n")
		}
		b.WriteString("event: ")
		b.WriteString(ev.Type)
		b.WriteString("\ndata: ")
		b.Write(raw)
		b.WriteString("\n\n")
	}
	return s.write(b.String())
}

func (s *sseSink) heartbeat(context.Context) error { return s.write(": ping\n\n") }

// write sends text and flushes it to the client within the write timeout.
func (s *sseSink) write(text string) error {
	// A deadline on the connection is wall-clock time, whatever the hub's clock says.
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
	defer func() { _ = s.rc.SetWriteDeadline(time.Time{}) }()
	if _, err := s.w.Write([]byte(text)); err != nil {
		return err
	}
	return s.rc.Flush()
}
