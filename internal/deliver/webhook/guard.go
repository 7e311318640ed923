package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Guard keeps webhooks out of private networks (issue 10, defect 6): an endpoint may not be a
// loopback, private, link-local, unique-local, unspecified, multicast or otherwise non-public
// address, nor a name that means one (localhost, *.internal such as metadata.google.internal),
// nor an odd spelling of an IPv4 address (0x7f.0.0.1, 2130706433, 017700000001). It checks the
// URL when an endpoint is registered, and every address actually dialled (a net.Dialer Control
// func, after DNS resolution), so a name that later resolves to a private address — DNS
// rebinding — is refused too. Allow lists networks that are allowed anyway (a gateway on the
// platform's own network; tests' loopback receivers).
type Guard struct {
	Allow []netip.Prefix
}

// nonPublic are the IPv4 and IPv6 ranges that are not the public Internet, beyond what netip's
// Is* methods name.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64 (maps onto IPv4, private ones included)
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2002::/16"),       // 6to4 (embeds any IPv4)
	netip.MustParsePrefix("2001::/32"),       // Teredo
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
	netip.MustParsePrefix("::ffff:0:0/96"),   // IPv4-mapped (checked unmapped as well)
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
}

// Allowed reports whether a connection to addr may be made.
func (g *Guard) Allowed(addr netip.Addr) bool {
	addr = addr.WithZone("")
	if g != nil {
		for _, p := range g.Allow {
			if p.Contains(addr) || p.Contains(addr.Unmap()) {
				return true
			}
		}
	}
	a := addr.Unmap()
	if !a.IsValid() || a.IsUnspecified() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() || !a.IsGlobalUnicast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// ErrPrivate is the reason a URL or address is refused.
var ErrPrivate = errors.New("webhook endpoints may not point into private networks")

// CheckURL validates an endpoint URL at registration: scheme, host, and — for an address literal,
// a name that means a private host, or a name that resolves now — that it is public. A name that
// does not resolve yet is accepted: the connect-time check still applies.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	if err := checkEndpoint(raw); err != nil {
		return err
	}
	u, _ := url.Parse(raw)
	if u.User != nil {
		return errors.New("endpoint URL may not carry a user name or password")
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if a, err := netip.ParseAddr(host); err == nil {
		if !g.Allowed(a) {
			return fmt.Errorf("%w: %s", ErrPrivate, host)
		}
		return nil
	}
	if oddIPv4(host) {
		return fmt.Errorf("%w: %q spells an IPv4 address in a form that is not dotted-decimal", ErrPrivate, host)
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".internal") ||
		strings.HasSuffix(host, ".local") || host == "metadata" || !strings.Contains(host, ".") {
		return fmt.Errorf("%w: %s", ErrPrivate, host)
	}
	lctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(lctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if !g.Allowed(a) {
			return fmt.Errorf("%w: %s resolves to %s", ErrPrivate, host, a)
		}
	}
	return nil
}

// oddIPv4 reports a host that is all numbers in inet_aton's forms (decimal, octal, hex, one to
// four parts) but not a dotted quad: resolvers may read it as an address.
func oddIPv4(host string) bool {
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		if _, err := strconv.ParseUint(p, 0, 64); err != nil {
			if !(strings.HasPrefix(p, "0x") && len(p) == 2) {
				return false
			}
		}
	}
	return true
}

// control is the net.Dialer Control func: it refuses a connection to a non-public address after
// DNS resolution, so rebinding a name to a private address cannot get round CheckURL.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrPrivate, address)
	}
	if !g.Allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrPrivate, ap.Addr())
	}
	return nil
}

// Client is an HTTP client whose every connection passes the guard, with no proxy from the
// environment (a proxy would dial for us), no redirects, and DefaultTimeout.
func (g *Guard) Client() *http.Client {
	d := &net.Dialer{Timeout: DefaultTimeout, Control: g.control}
	return &http.Client{
		Timeout: DefaultTimeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           d.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          32,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   DefaultTimeout,
			ExpectContinueTimeout: time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
