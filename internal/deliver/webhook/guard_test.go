package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/homebell/homebell/internal/deliver/webhook"
)

// Issue 10, defect 6: an operator (or a leaked service key) could register webhooks pointing
// into private networks. They are refused at registration, and at connect time after DNS.
func TestGuardRefusesPrivateNetworks(t *testing.T) {
	g := &webhook.Guard{}
	ctx := context.Background()
	for _, u := range []string{
		"http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/hook", "http://192.168.1.1/", "http://172.16.0.9/",
		"http://[::1]/", "http://[fd00::1]/", "http://[fe80::1%25eth0]/", "http://0.0.0.0/", "http://[::]/",
		"http://127.0.0.1:8080/", "http://0x7f.0.0.1/", "http://2130706433/", "http://017700000001/", "http://0x7f000001/",
		"http://127.1/", "http://metadata.google.internal/computeMetadata/v1/", "http://localhost/", "http://api.localhost/",
		"http://[::ffff:127.0.0.1]/", "http://[::ffff:a9fe:a9fe]/", "http://100.64.0.1/", "http://[64:ff9b::a00:1]/",
		"ftp://example.com/", "http://user:pw@example.com/",
	} {
		if err := g.CheckURL(ctx, u); err == nil {
			t.Errorf("%s was accepted", u)
		}
	}
	for _, u := range []string{"https://gateway.example.com/hook", "https://8.8.8.8/hook", "http://[2606:4700::1111]/"} {
		if err := g.CheckURL(ctx, u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	// The allow-list admits a private gateway network, and nothing else.
	allow := &webhook.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}}
	if err := allow.CheckURL(ctx, "http://10.20.3.4/hook"); err != nil {
		t.Errorf("allow-listed gateway refused: %v", err)
	}
	if err := allow.CheckURL(ctx, "http://10.21.3.4/hook"); err == nil {
		t.Error("an address outside the allow-list was accepted")
	}
}

// The connect-time check: a URL whose name passed registration but resolves (or rebinds) to a
// private address is not dialled. A loopback receiver stands for the private target.
func TestGuardChecksTheDialledAddress(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	// "localhost" resolves to loopback: the dialled address is what is checked.
	target := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	s := &webhook.Sender{Guard: &webhook.Guard{}}
	res := s.Send(context.Background(), target, []byte("secret-secret-secret-secret-1234"), "msg-1", []byte(`{}`))
	if res.Error == "" || !strings.Contains(res.Error, "private networks") || hits != 0 {
		t.Fatalf("send to a loopback receiver: %+v, %d hits; want refused before connecting", res, hits)
	}
	// Allow-listed (as tests and private gateways do), it goes through.
	s = &webhook.Sender{Guard: &webhook.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}}
	if res := s.Send(context.Background(), target, []byte("secret-secret-secret-secret-1234"), "msg-2", []byte(`{}`)); res.Error != "" || hits != 1 {
		t.Errorf("allow-listed loopback: %+v, %d hits", res, hits)
	}
}
