package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// DefaultTimeout bounds one attempt when Sender.Client is nil.
const DefaultTimeout = 10 * time.Second

// UserAgent is sent with every webhook.
const UserAgent = "homebell"

const (
	// maxResponseBody is how much of a receiver's answer is read; the rest is dropped.
	maxResponseBody = 64 << 10
	// maxErrorText keeps a Result's error short enough for a delivery log row.
	maxErrorText = 200
)

// Sender posts signed webhooks, one attempt per call. The zero value is ready to use.
type Sender struct {
	// Client sends the requests. Nil means a client with DefaultTimeout that does not follow
	// redirects: a redirected POST would lose its body, and a gateway that moved should be
	// reconfigured, not chased.
	Client *http.Client
	// Now stamps webhook-timestamp; nil means time.Now.
	Now func() time.Time
	// Guard, when set (and Client is nil), keeps every connection out of private networks.
	Guard *Guard

	once    sync.Once
	guarded *http.Client
}

// Result is the outcome of one attempt: what the job runner needs to decide on a retry and to
// write the delivery log.
type Result struct {
	// StatusCode is the receiver's HTTP status, 0 when no response arrived.
	StatusCode int
	// Retryable is true when another attempt may succeed: network errors, 408, 429 and 5xx.
	Retryable bool
	// RetryAfter is the receiver's Retry-After (seconds or HTTP date), zero when absent.
	RetryAfter time.Duration
	// Error is empty on success and otherwise a short text for the delivery log.
	Error string
	// Duration is how long the attempt took by the Sender's clock.
	Duration time.Duration
}

// OK reports whether the receiver accepted the webhook (2xx).
func (r Result) OK() bool { return r.StatusCode >= 200 && r.StatusCode < 300 }

// NextDelay is how long to wait after the attempt-th failed attempt: Backoff(attempt), or the
// receiver's Retry-After when longer, capped at the longest backoff step.
func (r Result) NextDelay(attempt int) time.Duration {
	d := Backoff(attempt)
	ra := min(r.RetryAfter, schedule[len(schedule)-1])
	return max(d, ra)
}

// Retryable classifies an HTTP status: 408, 429 and 5xx may succeed later; any other non-2xx
// answer (a 3xx redirect, 400, 401, 404, 410…) will not, until someone changes the
// configuration, so retrying would only load the receiver.
func Retryable(status int) bool {
	switch {
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return true
	case status >= 500 && status <= 599:
		return true
	}
	return false
}

// Send posts body to endpointURL once, signed with secret. msgID is the webhook-id; the caller
// keeps it the same across retries of one delivery so the receiver can drop duplicates.
func (s *Sender) Send(ctx context.Context, endpointURL string, secret []byte, msgID string, body []byte) Result {
	if err := checkEndpoint(endpointURL); err != nil {
		return Result{Error: err.Error()}
	}
	if len(secret) == 0 {
		return Result{Error: "empty signing secret"}
	}
	if msgID == "" {
		return Result{Error: "empty message id"}
	}
	now := s.now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpointURL, bytes.NewReader(body))
	if err != nil {
		return Result{Error: clip("build request: " + err.Error())}
	}
	req.Header.Set(HeaderID, msgID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(secret, msgID, now, body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)

	resp, err := s.client().Do(req)
	if err != nil {
		// A cancelled context is retryable too: the runner is stopping, the delivery is not done.
		return Result{Retryable: true, Error: clip(transportError(err)), Duration: s.now().Sub(now)}
	}
	defer resp.Body.Close()
	answer, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	r := Result{
		StatusCode: resp.StatusCode,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now),
		Duration:   s.now().Sub(now),
	}
	if r.OK() {
		return r
	}
	r.Retryable = Retryable(resp.StatusCode)
	text := fmt.Sprintf("HTTP %d", resp.StatusCode)
	if a := strings.Join(strings.Fields(string(answer)), " "); a != "" {
		text += ": " + a
	} else if readErr != nil {
		text += ": read body: " + readErr.Error()
	}
	r.Error = clip(text)
	return r
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sender) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	if s.Guard != nil {
		s.once.Do(func() { s.guarded = s.Guard.Client() })
		return s.guarded
	}
	return &http.Client{
		Timeout: DefaultTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func checkEndpoint(endpointURL string) error {
	u, err := url.Parse(endpointURL)
	if err != nil {
		return errors.New("invalid endpoint URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("endpoint URL scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("endpoint URL has no host")
	}
	return nil
}

// transportError drops the *url.Error wrapper, whose text repeats the endpoint URL; gateway URLs
// often carry a token in the query, which must not land in the delivery log.
func transportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "timeout: " + ue.Err.Error()
		}
		return "post: " + ue.Err.Error()
	}
	return "post: " + err.Error()
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
}

// maxRetryAfter keeps an absurd Retry-After from overflowing a Duration.
const maxRetryAfter = 7 * 24 * time.Hour

func clip(s string) string {
	if len(s) <= maxErrorText {
		return s
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
