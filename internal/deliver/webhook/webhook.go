// Package webhook signs and sends notifications to the platform's own gateways (app push, SMS,
// WeChat subscribe messages) following Standard Webhooks (https://www.standardwebhooks.com):
// an HMAC-SHA256 signature over "<webhook-id>.<webhook-timestamp>.<body>" carried in the
// webhook-id, webhook-timestamp and webhook-signature headers.
//
// The package does one attempt at a time. Retries, their schedule (Backoff, MaxAttempts) and the
// delivery log belong to the job runner, which keeps the same webhook-id across retries so a
// receiver can drop duplicates.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names defined by Standard Webhooks.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix marks a signing secret in its text form, "whsec_<base64>".
const SecretPrefix = "whsec_"

// DefaultTolerance is how far a receiver should let webhook-timestamp stray from its own clock;
// it bounds how long a captured request can be replayed.
const DefaultTolerance = 5 * time.Minute

// Secret lengths accepted by DecodeSecret, from Standard Webhooks' recommendation (192 to 512
// bits); NewSecret makes 256-bit secrets.
const (
	minSecretLen = 24
	maxSecretLen = 64
	newSecretLen = 32
)

// Verification errors, for receivers that want to tell a stale request from a forged one.
var (
	ErrMissingHeaders  = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature header")
	ErrBadTimestamp    = errors.New("webhook: timestamp is not unix seconds")
	ErrTimestampTooOld = errors.New("webhook: timestamp too old")
	ErrTimestampTooNew = errors.New("webhook: timestamp too far in the future")
	ErrNoMatchingSig   = errors.New("webhook: no matching signature")
	errEmptySecret     = errors.New("webhook: empty secret")
	errSecretLength    = fmt.Errorf("webhook: secret must be %d to %d bytes", minSecretLen, maxSecretLen)
	errSecretNotBase64 = errors.New("webhook: secret is not base64")
)

// Sign returns the webhook-signature value for one message: "v1," followed by the base64 of
// HMAC-SHA256(secret, msgID + "." + unix seconds of ts + "." + body).
func Sign(secret []byte, msgID string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(secret, msgID, ts.Unix(), body))
}

func mac(secret []byte, msgID string, unix int64, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(msgID))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(unix, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a received webhook the way a platform's receiver should: the three headers are
// present, webhook-timestamp is within tolerance of now (either side), and at least one of the
// space-separated "v1,<base64>" signatures matches. Signatures of other versions are ignored, so
// a sender can add a new scheme or sign with an old and a new secret during rotation.
// A tolerance of zero or less means DefaultTolerance.
func Verify(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return errEmptySecret
	}
	msgID, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if msgID == "" || tsText == "" || sigs == "" {
		return ErrMissingHeaders
	}
	unix, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrBadTimestamp, tsText)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts := time.Unix(unix, 0)
	if now.Sub(ts) > tolerance {
		return fmt.Errorf("%w: %s old, tolerance %s", ErrTimestampTooOld, now.Sub(ts).Truncate(time.Second), tolerance)
	}
	if ts.Sub(now) > tolerance {
		return fmt.Errorf("%w: %s ahead, tolerance %s", ErrTimestampTooNew, ts.Sub(now).Truncate(time.Second), tolerance)
	}
	want := mac(secret, msgID, unix, body)
	for _, sig := range strings.Fields(sigs) {
		version, value, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrNoMatchingSig
}

// NewSecret returns a fresh random signing secret in the "whsec_<base64>" form that operators
// paste into the platform's receiver.
func NewSecret() (string, error) {
	b := make([]byte, newSecretLen)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook: new secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// DecodeSecret turns a "whsec_<base64>" secret into the key bytes Sign and Verify take. The prefix
// may be omitted, as the Standard Webhooks libraries allow; the key must be 24 to 64 bytes.
func DecodeSecret(s string) ([]byte, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), SecretPrefix)
	if s == "" {
		return nil, errEmptySecret
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errSecretNotBase64, err)
	}
	if len(b) < minSecretLen || len(b) > maxSecretLen {
		return nil, fmt.Errorf("%w, got %d", errSecretLength, len(b))
	}
	return b, nil
}
