package hub

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/homebell/homebell/internal/model"
)

// OpenEvent is the type of the first frame of every stream: its seq is where the stream starts
// (the client's resume point), its data {"last_seq": n} the newest seq of the log now.
const OpenEvent = "stream.open"

// ServeWS upgrades the request to a WebSocket and streams personID's events after seq after
// (after < 0: from the end of the log). Each event is one text message with the JSON of a
// model.Event: {"seq":n,"type":"…","data":{…},"created_at":"…"}. The server pings every
// Heartbeat. Close codes: 1012 (service restart) when the node shuts down, 1008 (policy
// violation) when the person opened more than MaxPerPerson streams; a too-slow client is dropped.
// In every case the client reconnects with ?after=<last seq it saw>.
func (h *Hub) ServeWS(w http.ResponseWriter, r *http.Request, personID string, after int64) error {
	after, last, err := h.startSeq(r.Context(), personID, after)
	if err != nil {
		return err
	}
	// The stream outlives this handler (see below), so it must not end with the request's context.
	base := context.WithoutCancel(r.Context())
	c, err := h.register(base, personID, after, true)
	if err != nil {
		return err
	}
	sb := &smallBuffers{ResponseWriter: w}
	ws, err := websocket.Accept(sb, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		h.unregister(c)
		return nil // Accept has answered the request
	}
	// The client sends nothing; reading handles pongs and the close handshake and ends the stream
	// when the client goes away. Where the hub's poller can watch the connection, nothing waits
	// in a read while the stream is idle (wsread.go); elsewhere the library's CloseRead reads on
	// a goroutine. Neither read has the stream's context: a read whose context is cancelled closes
	// the connection at once, and the hub's reasons for ending a stream deserve a close frame.
	in := sb.in
	in.h, in.c, in.ws = h, c, ws
	var p *wsPoller
	if p = h.poller(); p != nil && p.watch(in) {
		if len(in.pre) > 0 { // the client sent frames with its request
			h.spawn(in.pump)
		}
	} else {
		p = nil
		readCtx := ws.CloseRead(base)
		context.AfterFunc(readCtx, func() { c.cancel(context.Canceled) })
	}
	// The connection is hijacked: the HTTP server's goroutine for it ends here. The stream then
	// has no goroutine of its own while idle: wake-ups and heartbeats run short turns, client
	// frames short pumps, and when the stream's context ends this closes it.
	h.streams.Add(1)
	closed := h.opt.Metrics.StreamOpened("websocket")
	context.AfterFunc(c.ctx, func() {
		defer h.streams.Done()
		defer closed()
		defer h.unregister(c)
		if p != nil {
			defer p.forget(in)
		}
		defer ws.CloseNow()
		in.blocking.Store(true) // the close handshake reads until the client's close frame
		switch err := context.Cause(c.ctx); {
		case errors.Is(err, ErrShutdown):
			_ = ws.Close(websocket.StatusServiceRestart, "server restarting; reconnect with ?after=<last seq>")
		case errors.Is(err, ErrReplaced):
			_ = ws.Close(websocket.StatusPolicyViolation, "too many streams for this person")
		case errors.Is(err, ErrSlowClient):
			h.log.Debug("hub: slow WebSocket client dropped", "person", personID)
		case err != nil && !errors.Is(err, context.Canceled):
			h.log.Debug("hub: WebSocket stream ended", "person", personID, "err", err)
		}
	})
	c.sink = &wsSink{ws: ws, timeout: h.opt.WriteTimeout}
	raw, _ := json.Marshal(map[string]int64{"last_seq": last})
	if err := c.sink.send(c.ctx, []model.Event{{Seq: after, Type: OpenEvent, Data: raw, CreatedAt: h.now()}}); err != nil {
		c.cancel(h.ended(c, err))
		return nil
	}
	h.sendUnread(c, c.sink)
	c.ready.Store(true)
	c.askRead() // whatever was committed since register
	return nil
}

type wsSink struct {
	ws      *websocket.Conn
	timeout time.Duration
}

// Writes and pings are bounded by the write timeout only, never by the stream's context: the
// WebSocket library closes the connection at once when a write's context ends mid-write, so a
// stream ended (shutdown, replaced) while a frame or ping was on its way lost its close frame and
// the client saw EOF instead of 1012 or 1008 (TestX1StreamCapHeartbeatAndShutdown failed 4 runs
// in 10). The stream's end still closes the connection, with its close frame, right after.
// frameBufs are the frames' buffers of the WebSocket streams, reused across sends.
var frameBufs = sync.Pool{New: func() any { return new([]byte) }}

func (s *wsSink) send(ctx context.Context, evs []model.Event) error {
	ctx = context.WithoutCancel(ctx)
	buf := frameBufs.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= 64<<10 {
			frameBufs.Put(buf)
		}
	}()
	for _, ev := range evs {
		raw := appendFrame(slices.Grow((*buf)[:0], frameLen(ev)), ev)
		*buf = raw[:0]
		wctx, cancel := context.WithTimeout(ctx, s.timeout)
		err := s.ws.Write(wctx, websocket.MessageText, raw) // done with raw when it returns
		cancel()
		if err != nil {
			if errors.Is(wctx.Err(), context.DeadlineExceeded) {
				return context.DeadlineExceeded
			}
			return err
		}
	}
	return nil
}

func (s *wsSink) heartbeat(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	if err := s.ws.Ping(pctx); err != nil {
		if errors.Is(pctx.Err(), context.DeadlineExceeded) {
			return context.DeadlineExceeded
		}
		return err
	}
	return nil
}

// smallBuffers hands the WebSocket library a hijacked connection with small buffers, which reads
// through a wsReader. net/http's are 4 KB each way, which an idle stream holds for its whole
// life; a stream writes a small frame now and then (a larger one bypasses the writer's buffer)
// and reads only control frames (pongs, pings, the close frame: at most 14 + 125 bytes), so 1 KB
// out and 128 B in are plenty.
type smallBuffers struct {
	http.ResponseWriter
	in *wsReader // set by Hijack
}

func (s *smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		conn.Close()
		return nil, nil, err
	}
	s.in = &wsReader{conn: conn}
	if n := brw.Reader.Buffered(); n > 0 { // bytes the client sent after its request
		b, _ := brw.Reader.Peek(n)
		s.in.pre = bytes.Clone(b)
	}
	// The library reads through the connection it is handed (it resets the reader onto it), so
	// that connection's Read is the wsReader's; writes go through the writer straight to conn.
	return readVia{conn, s.in}, bufio.NewReadWriter(bufio.NewReaderSize(s.in, 128), bufio.NewWriterSize(conn, 1024)), nil
}

// readVia is a connection whose reads go through a wsReader.
type readVia struct {
	net.Conn
	in *wsReader
}

func (c readVia) Read(p []byte) (int, error) { return c.in.Read(p) }
