package hub

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"sync/atomic"

	"github.com/coder/websocket"
)

// The read side of a WebSocket stream without a goroutine while idle.
//
// A client sends a stream nothing but pongs, the close handshake and, rarely, pings; the
// WebSocket library handles those only while something reads (its Reader, or CloseRead's
// goroutine, which waits in a read for the stream's whole life: a goroutine and its stack per
// idle stream). Instead, where the platform lets us (wspoll_linux.go), the hub's poller watches
// the connections and, when one has bytes to read, a short-lived pump hands them to the
// library's reader: wsReader, under the library's buffered reader, returns errWouldBlock when
// the socket has nothing more at a frame boundary, so the library's Reader returns after the
// control frames that arrived (having answered pings, delivered pongs to Ping, or answered a
// close frame) and the pump re-arms the poller. In the middle of a frame, and once the stream is
// closing (the close handshake reads until the client's close frame), reads block as usual.

// errWouldBlock is wsReader's "nothing to read now" at a frame boundary: the library's Reader
// returns it (wrapped) without closing the connection, as its context has no Done.
var errWouldBlock = errors.New("hub: nothing to read now")

// wsReader is what the library's buffered reader reads from.
type wsReader struct {
	conn net.Conn
	pre  []byte // what the client sent right after its request (the HTTP server had read it)
	// blocking: the stream is closing (or has no poller): reads wait for bytes.
	blocking atomic.Bool

	// The frame being read, as far as bytes have passed through: the library's buffered reader
	// asks for more only when it has handed out everything it holds, so at a call to Read the
	// library has consumed exactly what passed through, and hn == 0 && rem == 0 means it waits
	// for a frame's first byte.
	hdr [14]byte
	hn  int
	rem int64

	// Set by the poller when it watches the connection.
	poll *wsPoller
	id   int32
	nb   func(p []byte) (int, error) // a read that does not wait (errWouldBlock)

	// The stream, for the pump.
	h  *Hub
	c  *conn
	ws *websocket.Conn
}

func (r *wsReader) Read(p []byte) (int, error) {
	if len(r.pre) > 0 {
		n := copy(p, r.pre)
		r.pre = r.pre[n:]
		r.track(p[:n])
		return n, nil
	}
	var n int
	var err error
	if r.nb != nil && !r.blocking.Load() && r.hn == 0 && r.rem == 0 {
		n, err = r.nb(p)
	} else {
		n, err = r.conn.Read(p)
	}
	r.track(p[:max(n, 0)])
	return n, err
}

// track follows the frames in b (RFC 6455 section 5.2: two bytes, an extended length of 2 or 8
// bytes, a 4-byte mask key when masked, then the payload).
func (r *wsReader) track(b []byte) {
	for len(b) > 0 {
		if r.rem > 0 {
			k := min(int64(len(b)), r.rem)
			r.rem -= k
			b = b[k:]
			continue
		}
		r.hdr[r.hn] = b[0]
		r.hn++
		b = b[1:]
		if r.hn < 2 {
			continue
		}
		need, l7 := 2, r.hdr[1]&0x7f
		switch l7 {
		case 126:
			need += 2
		case 127:
			need += 8
		}
		if r.hdr[1]&0x80 != 0 {
			need += 4
		}
		if r.hn < need {
			continue
		}
		switch l7 {
		case 126:
			r.rem = int64(binary.BigEndian.Uint16(r.hdr[2:4]))
		case 127:
			r.rem = int64(binary.BigEndian.Uint64(r.hdr[2:10]) &^ (1 << 63))
		default:
			r.rem = int64(l7)
		}
		r.hn = 0
	}
}

// pump reads what the client sent (see above) and re-arms the poller. It runs on a goroutine of
// its own, started by the poller, and returns as soon as the socket has nothing more.
func (r *wsReader) pump() {
	_, _, err := r.ws.Reader(context.Background())
	if errors.Is(err, errWouldBlock) {
		if r.poll.arm(r) == nil {
			return
		}
		// Not watched any more: the connection is closed (the stream has ended) or the poller
		// stopped with the hub. Either way the stream ends, as with CloseRead below.
		err = net.ErrClosed
	}
	r.ended(err)
}

// ended is what CloseRead's goroutine does when its read returns: a data message (err nil; a
// client sends none) closes the connection with 1008, anything else (the client closed, went
// away, or the connection is closed) just closes it; either way the stream ends.
func (r *wsReader) ended(err error) {
	if err == nil {
		r.blocking.Store(true)
		_ = r.ws.Close(websocket.StatusPolicyViolation, "unexpected data message")
	}
	_ = r.ws.CloseNow()
	r.c.cancel(context.Canceled)
}
