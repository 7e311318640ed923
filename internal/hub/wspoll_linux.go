package hub

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// wsPoller watches idle WebSocket connections with an epoll instance of the hub's own: one
// goroutine waits for all of them, and a connection with bytes to read gets a short pump (see
// wsread.go). Each connection is armed one-shot: after an event it is not watched again until its
// pump has read everything and re-arms it, so at most one pump runs per connection.
type wsPoller struct {
	h    *Hub
	epfd int

	mu      sync.Mutex
	closed  bool
	next    int32
	readers map[int32]*wsReader
}

func newWSPoller(h *Hub) *wsPoller {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		h.log.Warn("hub: epoll unavailable; each WebSocket stream reads on a goroutine of its own", "err", err)
		return nil
	}
	p := &wsPoller{h: h, epfd: fd, readers: map[int32]*wsReader{}}
	if !h.spawn(p.loop) {
		syscall.Close(fd)
		return nil
	}
	return p
}

// pollWait is how long the poller's wait lasts before it checks whether the hub is closing.
const pollWait = 100 // ms

func (p *wsPoller) loop() {
	defer func() {
		p.mu.Lock()
		p.closed = true
		p.readers = nil
		syscall.Close(p.epfd)
		p.mu.Unlock()
	}()
	evs := make([]syscall.EpollEvent, 256)
	for p.h.ctx.Err() == nil {
		n, err := syscall.EpollWait(p.epfd, evs, pollWait)
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			p.h.log.Error("hub: epoll_wait", "err", err)
			return
		}
		for _, ev := range evs[:n] {
			p.mu.Lock()
			r := p.readers[ev.Fd]
			p.mu.Unlock()
			if r != nil && !p.h.spawn(r.pump) {
				return
			}
		}
	}
}

// watch has the poller watch r's connection, and reports false when it cannot (not a TCP
// connection, or the hub is closing): the stream then reads on a goroutine of its own.
func (p *wsPoller) watch(r *wsReader) bool {
	sc, ok := r.conn.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	r.nb = func(b []byte) (int, error) {
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			for {
				n, rerr = syscall.Read(int(fd), b)
				if rerr != syscall.EINTR {
					return true
				}
			}
		})
		switch {
		case err != nil:
			return 0, err
		case rerr == syscall.EAGAIN:
			return 0, errWouldBlock
		case rerr != nil:
			return 0, os.NewSyscallError("read", rerr)
		case n == 0 && len(b) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
	r.poll = p
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return false
	}
	for {
		p.next++
		if _, used := p.readers[p.next]; !used {
			break
		}
	}
	r.id = p.next
	p.readers[r.id] = r
	p.mu.Unlock()
	if err := p.ctl(r, syscall.EPOLL_CTL_ADD); err != nil {
		p.forget(r)
		r.nb, r.poll = nil, nil // no pump ran: the connection was never watched
		return false
	}
	return true
}

// arm watches r's connection again after its pump.
func (p *wsPoller) arm(r *wsReader) error { return p.ctl(r, syscall.EPOLL_CTL_MOD) }

func (p *wsPoller) ctl(r *wsReader, op int) error {
	sc, _ := r.conn.(syscall.Conn)
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return net.ErrClosed
	}
	var ctlErr error
	// Control holds the descriptor open: it cannot be closed (and its number reused) meanwhile.
	if err := rc.Control(func(fd uintptr) {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT, Fd: r.id}
		ctlErr = syscall.EpollCtl(p.epfd, op, int(fd), &ev)
	}); err != nil {
		return err
	}
	return ctlErr
}

// forget stops watching r (its connection is closed, which takes it out of the epoll set).
func (p *wsPoller) forget(r *wsReader) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.readers[r.id] == r {
		delete(p.readers, r.id)
	}
}
