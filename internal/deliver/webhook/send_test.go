package webhook

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestX2SendIsVerifiedByReceiver(t *testing.T) {
	secret := testSecret(t)
	body := []byte(`{"kind":"reminder","order_id":"o1"}`)
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		// The receiver's own clock is a little ahead of the sender's.
		if err := Verify(secret, r.Header, b, testNow.Add(2*time.Second), DefaultTolerance); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		got.Store(r.Header.Clone())
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	s := &Sender{Now: fixedClock(testNow)}
	res := s.Send(context.Background(), srv.URL+"/hooks/homebell?token=abc", secret, "msg_42", body)
	if !res.OK() || res.Error != "" || res.StatusCode != http.StatusNoContent {
		t.Fatalf("Send = %+v", res)
	}
	h := got.Load().(http.Header)
	for k, want := range map[string]string{
		"Webhook-Id":        "msg_42",
		"Webhook-Timestamp": "1741944600",
		"Content-Type":      "application/json",
		"User-Agent":        "homebell",
	} {
		if h.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, h.Get(k), want)
		}
	}

	// Same endpoint, another secret: the receiver refuses, and that is not worth retrying.
	res = s.Send(context.Background(), srv.URL, testSecret(t), "msg_43", body)
	if res.OK() || res.StatusCode != http.StatusUnauthorized || res.Retryable {
		t.Fatalf("Send with wrong secret = %+v", res)
	}
	if !strings.Contains(res.Error, "401") || !strings.Contains(res.Error, "no matching signature") {
		t.Errorf("Error = %q, want status and receiver's answer", res.Error)
	}
}

func TestX2SendReportsRetryAfter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		http.Error(w, strings.Repeat("slow down ", 1000), http.StatusTooManyRequests)
	}))
	defer srv.Close()
	res := (&Sender{Now: fixedClock(testNow)}).Send(context.Background(), srv.URL, testSecret(t), "m", []byte(`{}`))
	if res.StatusCode != 429 || !res.Retryable || res.RetryAfter != 2*time.Minute {
		t.Fatalf("Send = %+v", res)
	}
	if len(res.Error) > maxErrorText+len("…") {
		t.Errorf("error text is %d bytes, want it clipped", len(res.Error))
	}
}

func TestX2SendNetworkErrorIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more
	res := (&Sender{}).Send(context.Background(), url+"/?token=secret-token", testSecret(t), "m", nil)
	if res.OK() || !res.Retryable || res.StatusCode != 0 || res.Error == "" {
		t.Fatalf("Send = %+v", res)
	}
	if strings.Contains(res.Error, "secret-token") {
		t.Errorf("error text leaks the endpoint URL: %q", res.Error)
	}
}

func TestX2SendTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	s := &Sender{Client: &http.Client{Timeout: 50 * time.Millisecond}}
	res := s.Send(context.Background(), srv.URL, testSecret(t), "m", nil)
	if !res.Retryable || !strings.HasPrefix(res.Error, "timeout") {
		t.Fatalf("Send = %+v", res)
	}
}

func TestX2SendDoesNotFollowRedirects(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	res := (&Sender{}).Send(context.Background(), srv.URL, testSecret(t), "m", nil)
	if res.StatusCode != http.StatusFound || res.Retryable || hits.Load() != 1 {
		t.Fatalf("Send = %+v after %d requests", res, hits.Load())
	}
}

func TestX2SendRejectsBadInput(t *testing.T) {
	s := &Sender{}
	for name, tc := range map[string]struct {
		url    string
		secret []byte
		id     string
	}{
		"ftp endpoint":   {"ftp://example.com/x", []byte("k"), "m"},
		"no host":        {"https:///x", []byte("k"), "m"},
		"empty secret":   {"https://example.com", nil, "m"},
		"empty msg id":   {"https://example.com", []byte("k"), ""},
		"not even a url": {"://", []byte("k"), "m"},
	} {
		res := s.Send(context.Background(), tc.url, tc.secret, tc.id, nil)
		if res.OK() || res.Retryable || res.Error == "" {
			t.Errorf("%s: Send = %+v", name, res)
		}
	}
}

func TestX2RetryableClassification(t *testing.T) {
	tests := []struct {
		status int
		want   bool
	}{
		{200, false}, {204, false}, {301, false}, {400, false}, {401, false}, {403, false},
		{404, false}, {408, true}, {410, false}, {413, false}, {422, false}, {429, true},
		{500, true}, {502, true}, {503, true}, {504, true}, {599, true},
	}
	for _, tt := range tests {
		if got := Retryable(tt.status); got != tt.want {
			t.Errorf("Retryable(%d) = %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestX2ParseRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"30", 30 * time.Second},
		{"-5", 0},
		{"soon", 0},
		{testNow.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{testNow.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"99999999999", maxRetryAfter},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, testNow); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
