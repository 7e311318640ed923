//go:build !linux

package hub

import "net"

// wsPoller is Linux only (epoll, wspoll_linux.go): elsewhere every WebSocket stream reads on a
// goroutine of its own (the library's CloseRead).
type wsPoller struct{}

func newWSPoller(*Hub) *wsPoller { return nil }

func (*wsPoller) watch(*wsReader) bool { return false }

func (*wsPoller) arm(*wsReader) error { return net.ErrClosed }

func (*wsPoller) forget(*wsReader) {}
