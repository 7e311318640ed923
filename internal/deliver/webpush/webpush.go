// Package webpush sends notifications to browsers through their push services: Web Push
// (RFC 8030) with the payload encrypted for the subscription (RFC 8291, aes128gcm) and the
// server identified by VAPID (RFC 8292), using github.com/SherClockHolmes/webpush-go.
//
// The package does one attempt at a time. The job runner retries what Result marks Retryable and
// removes the subscription when Result says Gone.
package webpush

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	webpushgo "github.com/SherClockHolmes/webpush-go"
)

// DefaultTimeout bounds one attempt when Sender.Client is nil.
const DefaultTimeout = 10 * time.Second

// Urgency values of RFC 8030 §5.3: how eagerly a device may be woken, battery permitting.
const (
	UrgencyVeryLow = "very-low"
	UrgencyLow     = "low"
	UrgencyNormal  = "normal"
	UrgencyHigh    = "high"
)

// DefaultTTL is how long the push service keeps a message for an offline device when
// Options.TTL is zero.
const DefaultTTL = 12 * time.Hour

// MaxPayload is the largest marshalled Payload that fits: webpush-go pads every message to one
// 4096-byte record, minus the 86-byte header, the 16-byte tag and the 0x02 delimiter.
const MaxPayload = int(webpushgo.MaxRecordSize) - 86 - 16 - 1

const (
	p256PublicLen  = 65 // uncompressed point: 0x04 || X || Y
	p256PrivateLen = 32
	authSecretLen  = 16
	maxTopicLen    = 32
	maxErrorText   = 200
	maxAnswer      = 4 << 10
)

// GenerateVAPIDKeys returns a new VAPID key pair in the form browsers and push services use:
// unpadded base64url of the uncompressed P-256 public point and of the private scalar. The public
// key is what the web app passes to pushManager.subscribe as applicationServerKey.
func GenerateVAPIDKeys() (public, private string, err error) {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("webpush: generate VAPID keys: %w", err)
	}
	return b64(k.PublicKey().Bytes()), b64(k.Bytes()), nil
}

// CheckVAPIDKeys reports whether public and private form one P-256 key pair, so a configuration
// mistake shows at start-up rather than as every push service answering 403.
func CheckVAPIDKeys(public, private string) error {
	priv, err := decodeB64(private)
	if err != nil || len(priv) != p256PrivateLen {
		return errors.New("webpush: VAPID private key is not 32 bytes of base64url")
	}
	k, err := ecdh.P256().NewPrivateKey(priv)
	if err != nil {
		return fmt.Errorf("webpush: VAPID private key: %w", err)
	}
	pub, err := decodeB64(public)
	if err != nil {
		return fmt.Errorf("webpush: VAPID public key: %w", err)
	}
	if !bytes.Equal(pub, k.PublicKey().Bytes()) {
		return errors.New("webpush: VAPID public key does not belong to the private key")
	}
	return nil
}

// Subscription is a browser's PushSubscription: where to post, and the keys the payload is
// encrypted for (PushSubscription.toJSON().keys, base64url).
type Subscription struct {
	Endpoint string `json:"endpoint"`
	P256dh   string `json:"p256dh"`
	Auth     string `json:"auth"`
}

// Validate checks a subscription before it is stored or used: an https endpoint (http only to a
// loopback host, for tests and local push services), a P-256 public key and a 16-byte auth secret.
func (s Subscription) Validate() error {
	u, err := url.Parse(s.Endpoint)
	if err != nil {
		return fmt.Errorf("webpush: subscription endpoint: %w", err)
	}
	switch {
	case u.Host == "":
		return errors.New("webpush: subscription endpoint has no host")
	case u.User != nil:
		return errors.New("webpush: subscription endpoint carries user info")
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return fmt.Errorf("webpush: subscription endpoint must be https, got %s://%s", u.Scheme, u.Host)
	}
	key, err := decodeB64(s.P256dh)
	if err != nil {
		return fmt.Errorf("webpush: subscription p256dh: %w", err)
	}
	if len(key) != p256PublicLen {
		return fmt.Errorf("webpush: subscription p256dh is %d bytes, want %d", len(key), p256PublicLen)
	}
	if _, err := ecdh.P256().NewPublicKey(key); err != nil {
		return fmt.Errorf("webpush: subscription p256dh: %w", err)
	}
	auth, err := decodeB64(s.Auth)
	if err != nil {
		return fmt.Errorf("webpush: subscription auth: %w", err)
	}
	if len(auth) != authSecretLen {
		return fmt.Errorf("webpush: subscription auth is %d bytes, want %d", len(auth), authSecretLen)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Payload is what the service worker receives and shows. Alert is the recipient's alert style
// (sound, vibration, badge) so the worker can honour it.
type Payload struct {
	Title          string         `json:"title"`
	Body           string         `json:"body"`
	Kind           string         `json:"kind,omitempty"`
	Category       string         `json:"category,omitempty"`
	Importance     string         `json:"importance,omitempty"`
	Alert          string         `json:"alert,omitempty"`
	URL            string         `json:"url,omitempty"`
	NotificationID string         `json:"notification_id,omitempty"`
	Data           map[string]any `json:"data,omitempty"`
}

// Options steer the push service.
type Options struct {
	// Urgency is one of the Urgency constants; empty means normal.
	Urgency string
	// TTL is how long the push service keeps the message for an offline device; zero means
	// DefaultTTL. It is sent in whole seconds.
	TTL time.Duration
	// Topic, if set, replaces an undelivered earlier message with the same topic (at most 32
	// base64url characters), so a device that was offline sees only the latest of a series.
	Topic string
}

// UrgencyFor maps a notification's importance to the push urgency and TTL. Critical notices
// (a worker on the way, a cancellation) wake the device at once but go stale fast; marketing
// waits for a device on power or Wi-Fi and may arrive late. Whatever expires here is still in
// the message center. Unknown importance is treated as normal.
func UrgencyFor(importance string) (urgency string, ttl time.Duration) {
	switch importance {
	case "critical":
		return UrgencyHigh, time.Hour
	case "high":
		return UrgencyHigh, 4 * time.Hour
	case "low":
		return UrgencyLow, 24 * time.Hour
	default:
		return UrgencyNormal, DefaultTTL
	}
}

// Sender posts encrypted notifications to push services.
type Sender struct {
	// Client sends the requests; nil means a client with DefaultTimeout.
	Client *http.Client
	// VAPIDPublic and VAPIDPrivate are the server's key pair from GenerateVAPIDKeys.
	VAPIDPublic, VAPIDPrivate string
	// Subscriber is the contact the push service may use: "mailto:ops@example.com" (or the bare
	// address) or an https URL.
	Subscriber string
}

// Result is the outcome of one attempt.
type Result struct {
	// StatusCode is the push service's HTTP status, 0 when no response arrived.
	StatusCode int
	// Gone means the subscription can never be delivered to again and must be removed: the
	// push service answered 404 or 410 (the user unsubscribed or the browser dropped it), or
	// the stored subscription is malformed.
	Gone bool
	// Retryable means another attempt may succeed: network errors, 408, 429 and 5xx.
	Retryable bool
	// RetryAfter is the push service's Retry-After in seconds, zero when absent.
	RetryAfter time.Duration
	// Error is empty on success and otherwise a short text for the delivery log.
	Error string
}

// OK reports whether the push service accepted the message (2xx, usually 201).
func (r Result) OK() bool { return r.StatusCode >= 200 && r.StatusCode < 300 }

// Send encrypts p for sub and posts it once.
func (s *Sender) Send(ctx context.Context, sub Subscription, p Payload, opts Options) Result {
	if err := sub.Validate(); err != nil {
		return Result{Gone: true, Error: clip(err.Error())}
	}
	urgency := opts.Urgency
	if urgency == "" {
		urgency = UrgencyNormal
	}
	switch urgency {
	case UrgencyVeryLow, UrgencyLow, UrgencyNormal, UrgencyHigh:
	default:
		return Result{Error: fmt.Sprintf("unknown urgency %q", opts.Urgency)}
	}
	ttl := opts.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if !validTopic(opts.Topic) {
		return Result{Error: fmt.Sprintf("topic %q is not up to 32 base64url characters", opts.Topic)}
	}
	if s.VAPIDPublic == "" || s.VAPIDPrivate == "" || s.Subscriber == "" {
		return Result{Error: "sender has no VAPID keys or subscriber"}
	}
	msg, err := json.Marshal(p)
	if err != nil {
		return Result{Error: clip("marshal payload: " + err.Error())}
	}
	if len(msg) > MaxPayload {
		return Result{Error: fmt.Sprintf("payload is %d bytes, at most %d fit", len(msg), MaxPayload)}
	}

	resp, err := webpushgo.SendNotificationWithContext(ctx, msg, &webpushgo.Subscription{
		Endpoint: sub.Endpoint,
		Keys:     webpushgo.Keys{Auth: sub.Auth, P256dh: sub.P256dh},
	}, &webpushgo.Options{
		HTTPClient: s.client(),
		// webpush-go adds "mailto:" to anything that is not an https URL.
		Subscriber:      strings.TrimPrefix(s.Subscriber, "mailto:"),
		Topic:           opts.Topic,
		TTL:             int(ttl / time.Second),
		Urgency:         webpushgo.Urgency(urgency),
		VAPIDPublicKey:  s.VAPIDPublic,
		VAPIDPrivateKey: s.VAPIDPrivate,
	})
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// The push service was not reached. The endpoint URL holds the subscription's
			// capability token, so only the cause goes in the log.
			text := "post: " + ue.Err.Error()
			if ue.Timeout() {
				text = "timeout: " + ue.Err.Error()
			}
			return Result{Retryable: true, Error: clip(text)}
		}
		// Encryption or signing failed before any request: bad keys, not worth retrying.
		return Result{Error: clip("encrypt: " + err.Error())}
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	r := Result{StatusCode: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	if r.OK() {
		return r
	}
	switch code := resp.StatusCode; {
	case code == http.StatusNotFound, code == http.StatusGone:
		r.Gone = true
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		r.Retryable = true
	}
	text := fmt.Sprintf("HTTP %d", resp.StatusCode)
	if a := strings.Join(strings.Fields(string(answer)), " "); a != "" {
		text += ": " + a
	}
	r.Error = clip(text)
	return r
}

func (s *Sender) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	return &http.Client{Timeout: DefaultTimeout}
}

func validTopic(t string) bool {
	if len(t) > maxTopicLen {
		return false
	}
	for _, c := range []byte(t) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

func retryAfter(v string) time.Duration {
	secs, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || secs <= 0 {
		return 0
	}
	return time.Duration(min(secs, 7*24*3600)) * time.Second
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// decodeB64 reads base64url with or without padding, as browsers and libraries differ.
func decodeB64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

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
