package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

func testSecret(t *testing.T) []byte {
	t.Helper()
	s, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := DecodeSecret(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func signedHeader(secret []byte, msgID string, ts time.Time, body []byte) http.Header {
	h := http.Header{}
	h.Set(HeaderID, msgID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, Sign(secret, msgID, ts, body))
	return h
}

func TestX2SignMatchesIndependentHMAC(t *testing.T) {
	// The Standard Webhooks example secret; the expected value is computed here, apart from Sign.
	secret, err := DecodeSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	msgID := "msg_p5jXN8AQM9LWM0D4loKWxJek"
	ts := time.Unix(1614265330, 0)
	body := []byte(`{"test": 2432232314}`)

	m := hmac.New(sha256.New, secret)
	m.Write([]byte(msgID + ".1614265330." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))

	if got := Sign(secret, msgID, ts, body); got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
	// The value published with the Standard Webhooks reference libraries for the same inputs.
	if want != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("independent HMAC = %q, differs from the published vector", want)
	}
}

func TestX2VerifyAcceptsOwnSignature(t *testing.T) {
	secret := testSecret(t)
	body := []byte(`{"kind":"order.accepted"}`)
	h := signedHeader(secret, "msg_1", testNow, body)
	if err := Verify(secret, h, body, testNow.Add(time.Minute), 0); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestX2VerifyAcceptsAnyOfSeveralSignatures(t *testing.T) {
	oldSecret, newSecret := testSecret(t), testSecret(t)
	body := []byte(`{}`)
	h := signedHeader(newSecret, "msg_2", testNow, body)
	// Rotation: the sender signs with both secrets, plus a scheme the receiver does not know.
	h.Set(HeaderSignature, "v1a,c29tZXRoaW5n "+Sign(oldSecret, "msg_2", testNow, body)+" "+h.Get(HeaderSignature))
	for name, secret := range map[string][]byte{"old": oldSecret, "new": newSecret} {
		if err := Verify(secret, h, body, testNow, time.Minute); err != nil {
			t.Errorf("%s secret: %v", name, err)
		}
	}
}

func TestX2VerifyRejects(t *testing.T) {
	secret := testSecret(t)
	body := []byte(`{"amount":100}`)
	good := signedHeader(secret, "msg_3", testNow, body)

	tests := []struct {
		name   string
		secret []byte
		header func() http.Header
		body   []byte
		now    time.Time
		want   error
	}{
		{"tampered body", secret, good.Clone, []byte(`{"amount":900}`), testNow, ErrNoMatchingSig},
		{"wrong secret", testSecret(t), good.Clone, body, testNow, ErrNoMatchingSig},
		{"old timestamp", secret, good.Clone, body, testNow.Add(6 * time.Minute), ErrTimestampTooOld},
		{"future timestamp", secret, good.Clone, body, testNow.Add(-6 * time.Minute), ErrTimestampTooNew},
		{"other message id", secret, func() http.Header {
			h := good.Clone()
			h.Set(HeaderID, "msg_4")
			return h
		}, body, testNow, ErrNoMatchingSig},
		{"timestamp moved, signature kept", secret, func() http.Header {
			h := good.Clone()
			h.Set(HeaderTimestamp, strconv.FormatInt(testNow.Unix()+1, 10))
			return h
		}, body, testNow, ErrNoMatchingSig},
		{"no signature", secret, func() http.Header {
			h := good.Clone()
			h.Del(HeaderSignature)
			return h
		}, body, testNow, ErrMissingHeaders},
		{"unknown version only", secret, func() http.Header {
			h := good.Clone()
			h.Set(HeaderSignature, strings.Replace(h.Get(HeaderSignature), "v1,", "v2,", 1))
			return h
		}, body, testNow, ErrNoMatchingSig},
		{"timestamp not a number", secret, func() http.Header {
			h := good.Clone()
			h.Set(HeaderTimestamp, testNow.Format(time.RFC3339))
			return h
		}, body, testNow, ErrBadTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.header(), tt.body, tt.now, 5*time.Minute)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestX2SecretForm(t *testing.T) {
	s, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, "whsec_") {
		t.Fatalf("NewSecret = %q, want whsec_ prefix", s)
	}
	b, err := DecodeSecret(s)
	if err != nil || len(b) != 32 {
		t.Fatalf("DecodeSecret(%q) = %d bytes, %v", s, len(b), err)
	}
	if s2, _ := NewSecret(); s2 == s {
		t.Fatal("two secrets are equal")
	}
	// Without the prefix, as some receivers store it.
	if _, err := DecodeSecret(strings.TrimPrefix(s, "whsec_")); err != nil {
		t.Fatalf("DecodeSecret without prefix: %v", err)
	}
	for _, bad := range []string{"", "whsec_", "whsec_***", "whsec_" + base64.StdEncoding.EncodeToString([]byte("short"))} {
		if _, err := DecodeSecret(bad); err == nil {
			t.Errorf("DecodeSecret(%q) accepted", bad)
		}
	}
}
