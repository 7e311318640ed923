package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/homebell/homebell/internal/auth"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store/storetest"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef-shared")
	now    = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock  = func() time.Time { return now }
)

func pemOf(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// sign makes a token with any method, key and claims.
func sign(t *testing.T, m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// claims are valid claims for customer c-1, adjusted by f.
func claims(f func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{"sub": "c-1", "role": "customer", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	if f != nil {
		f(c)
	}
	return c
}

// forge builds a token by hand: header and claims as given, signature computed by sig over
// "header.claims".
func forge(header, payload string, sig func(signingInput string) []byte) string {
	enc := base64.RawURLEncoding.EncodeToString
	in := enc([]byte(header)) + "." + enc([]byte(payload))
	return in + "." + enc(sig(in))
}

func hmacSHA256(key []byte) func(string) []byte {
	return func(in string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(in))
		return m.Sum(nil)
	}
}

func TestVerify(t *testing.T) {
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, otherEdPriv, _ := ed25519.GenerateKey(rand.Reader)
	rsaPriv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaPEM := pemOf(t, &rsaPriv.PublicKey)

	hs, err := auth.NewVerifier(secret, nil, clock)
	if err != nil {
		t.Fatal(err)
	}
	ed, err := auth.NewVerifier(nil, pemOf(t, edPub), clock)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := auth.NewVerifier(nil, rsaPEM, clock)
	if err != nil {
		t.Fatal(err)
	}
	// A platform that configured both a shared secret and an RSA key.
	both, err := auth.NewVerifier(secret, rsaPEM, clock)
	if err != nil {
		t.Fatal(err)
	}
	minted, err := auth.Mint(secret, "c-1", model.RoleCustomer, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		v     *auth.Verifier
		token string
		ok    bool
	}{
		{"HS256 minted by homebell", hs, minted, true},
		{"HS256 from the platform", hs, sign(t, jwt.SigningMethodHS256, secret, claims(nil)), true},
		{"HS256 with a wrong secret", hs, sign(t, jwt.SigningMethodHS256, []byte("another-secret-of-at-least-32-bytes!"), claims(nil)), false},
		{"alg none", hs, sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil)), false},
		{"alg none by hand, empty signature", hs, strings.TrimSuffix(forge(`{"alg":"none","typ":"JWT"}`, `{"sub":"c-1","role":"customer","exp":9999999999}`, func(string) []byte { return nil }), "."), false},
		{"alg NONE, HMAC signature", hs, forge(`{"alg":"NONE","typ":"JWT"}`, `{"sub":"c-1","role":"customer","exp":9999999999}`, hmacSHA256(secret)), false},
		{"HS384 with the right secret", hs, sign(t, jwt.SigningMethodHS384, secret, claims(nil)), false},
		{"HS512 with the right secret", hs, sign(t, jwt.SigningMethodHS512, secret, claims(nil)), false},
		{"expired an hour ago", hs, sign(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() })), false},
		{"expired 10s ago, within the clock-skew leeway", hs, sign(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-10 * time.Second).Unix() })), true},
		{"not valid before an hour from now", hs, sign(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() })), false},
		{"no exp", hs, sign(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { delete(c, "exp") })), false},
		{"no sub", hs, sign(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { delete(c, "sub") })), false},
		{"no role", hs, sign(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { delete(c, "role") })), false},
		{"unknown role admin", hs, sign(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["role"] = "admin" })), false},
		{"role platform is for service keys, never a JWT", hs, sign(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["role"] = "platform" })), false},
		{"garbage", hs, "not.a.token", false},
		{"empty", hs, "", false},

		{"EdDSA with the configured key", ed, sign(t, jwt.SigningMethodEdDSA, edPriv, claims(nil)), true},
		{"EdDSA with another key", ed, sign(t, jwt.SigningMethodEdDSA, otherEdPriv, claims(nil)), false},
		{"HS256 when only a public key is configured", ed, sign(t, jwt.SigningMethodHS256, secret, claims(nil)), false},
		{"RS256 on the Ed25519 verifier", ed, sign(t, jwt.SigningMethodRS256, rsaPriv, claims(nil)), false},

		{"RS256 with the configured key", rs, sign(t, jwt.SigningMethodRS256, rsaPriv, claims(nil)), true},
		{"RS512 with the configured key", rs, sign(t, jwt.SigningMethodRS512, rsaPriv, claims(nil)), false},
		{"PS256 with the configured key", rs, sign(t, jwt.SigningMethodPS256, rsaPriv, claims(nil)), false},
		{"RS256 expired", rs, sign(t, jwt.SigningMethodRS256, rsaPriv, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() })), false},
		// Key confusion: the attacker knows the public key and signs HS256 with it as the secret.
		{"HS256 signed with the RSA public key PEM", rs, sign(t, jwt.SigningMethodHS256, rsaPEM, claims(nil)), false},
		{"HS256 signed with the RSA public key PEM, secret also configured", both, sign(t, jwt.SigningMethodHS256, rsaPEM, claims(nil)), false},
		// Or claims RS256 in the header while the signature is an HMAC with the shared secret.
		{"header RS256, HMAC signature with the secret", both, forge(`{"alg":"RS256","typ":"JWT"}`, `{"sub":"c-1","role":"customer","exp":9999999999}`, hmacSHA256(secret)), false},
		{"both configured: HS256 ok", both, minted, true},
		{"both configured: RS256 ok", both, sign(t, jwt.SigningMethodRS256, rsaPriv, claims(nil)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.v.Verify(tt.token)
			if tt.ok {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if p.ID != "c-1" || p.Role != model.RoleCustomer {
					t.Errorf("principal = %+v, want c-1 customer", p)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: principal %+v", p)
			}
			if !model.IsCode(err, model.CodeUnauthenticated) {
				t.Errorf("error %v has code %s, want unauthenticated", err, model.ErrorCode(err))
			}
		})
	}
}

func TestNewVerifierRefusesBadConfiguration(t *testing.T) {
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		secret []byte
		pem    []byte
	}{
		{"nothing configured", nil, nil},
		{"secret shorter than 32 bytes", []byte("short-secret"), nil},
		{"public key that is not PEM", nil, []byte("ssh-ed25519 AAAA…")},
		{"ECDSA public key", nil, pemOf(t, &ecKey.PublicKey)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := auth.NewVerifier(tt.secret, tt.pem, clock); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestMintedTokenCarriesPersonRoleAndExpiry(t *testing.T) {
	tok, err := auth.Mint(secret, "w-wang", model.RoleWorker, now, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var c auth.Claims
	if _, err := jwt.ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithTimeFunc(clock), jwt.WithValidMethods([]string{"HS256"})); err != nil {
		t.Fatal(err)
	}
	if c.Subject != "w-wang" || c.Role != "worker" || !c.ExpiresAt.Time.Equal(now.Add(2*time.Hour)) {
		t.Errorf("claims = %+v", c)
	}
	// Valid until it expires, refused after.
	v, _ := auth.NewVerifier(secret, nil, func() time.Time { return now.Add(2*time.Hour + time.Minute) })
	if _, err := v.Verify(tok); err == nil {
		t.Error("the token still verifies after its expiry")
	}
}

func TestSplitServiceKey(t *testing.T) {
	sec := strings.Repeat("ab", 32)
	tests := []struct {
		in         string
		id, secret string
		ok         bool
	}{
		{"hbk_0123456789abcdef_" + sec, "0123456789abcdef", sec, true},
		{"hbk_0123456789abcdef_" + sec[:31], "", "", false}, // secret too short
		{"hbk__" + sec, "", "", false},                      // no id
		{"hbk_0123456789abcdef", "", "", false},             // no secret
		{"Bearer hbk_0123456789abcdef_" + sec, "", "", false},
		{"eyJhbGciOiJIUzI1NiJ9.e30.sig", "", "", false}, // a JWT
		{"", "", "", false},
	}
	for _, tt := range tests {
		id, secret, ok := auth.SplitServiceKey(tt.in)
		if ok != tt.ok || (ok && (id != tt.id || secret != tt.secret)) {
			t.Errorf("SplitServiceKey(%q) = %q, %q, %v; want %q, %q, %v", tt.in, id, secret, ok, tt.id, tt.secret, tt.ok)
		}
	}
}

func TestServiceKeySecretHash(t *testing.T) {
	h := auth.HashSecret("s3cret")
	if len(h) != 64 || strings.Contains(h, "s3cret") {
		t.Errorf("hash %q: want 64 hex characters not containing the secret", h)
	}
	if auth.HashSecret("s3cret") != h {
		t.Error("the hash is not deterministic")
	}
	if !auth.SecretMatches("s3cret", h) {
		t.Error("the right secret does not match")
	}
	for _, wrong := range []string{"s3cre", "s3cret ", "S3CRET", ""} {
		if auth.SecretMatches(wrong, h) {
			t.Errorf("secret %q matches", wrong)
		}
	}
}

func TestCreateServiceKeyStoresOnlyTheHash(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, storetest.SQLitePath(t))
	cred, k, err := auth.CreateServiceKey(ctx, st, "crm backend", now)
	if err != nil {
		t.Fatal(err)
	}
	id, sec, ok := auth.SplitServiceKey(cred)
	if !ok || id != k.ID {
		t.Fatalf("credential %q does not split into key %s", cred, k.ID)
	}
	stored, err := st.ServiceKey(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Name != "crm backend" || stored.RevokedAt != nil || !stored.CreatedAt.Equal(now) {
		t.Errorf("stored key = %+v", stored)
	}
	if strings.Contains(stored.SecretHash, sec) || !auth.SecretMatches(sec, stored.SecretHash) {
		t.Error("the store must keep a hash that matches the secret, not the secret")
	}
	cred2, _, err := auth.CreateServiceKey(ctx, st, "crm backend", now)
	if err != nil || cred2 == cred {
		t.Errorf("second key: %q, %v; want a different credential", cred2, err)
	}
	for _, bad := range []string{"", strings.Repeat("名", 81)} {
		if _, _, err := auth.CreateServiceKey(ctx, st, bad, now); !model.IsCode(err, model.CodeInvalid) {
			t.Errorf("name of %d runes: err %v, want invalid", len([]rune(bad)), err)
		}
	}
}

// Issue 10, defect 8: a token may not live longer than the maximum lifetime (default 24 h), and
// one issued in the future (beyond the clock skew) is refused.
func TestTokenLifetimeIsBounded(t *testing.T) {
	v, err := auth.NewVerifier(secret, nil, clock)
	if err != nil {
		t.Fatal(err)
	}
	if v.MaxLifetime != 24*time.Hour {
		t.Fatalf("default max lifetime %s, want 24h", v.MaxLifetime)
	}
	for _, tc := range []struct {
		name string
		f    func(jwt.MapClaims)
		ok   bool
	}{
		{"an hour", nil, true},
		{"exactly the maximum", func(c jwt.MapClaims) { c["exp"] = now.Add(24 * time.Hour).Unix() }, true},
		{"issued 10 s ahead (clock skew)", func(c jwt.MapClaims) { c["iat"] = now.Add(10 * time.Second).Unix() }, true},
		{"exp in 2999", func(c jwt.MapClaims) { c["exp"] = time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC).Unix() }, false},
		{"25 hours", func(c jwt.MapClaims) { c["exp"] = now.Add(25 * time.Hour).Unix() }, false},
		{"25 hours without iat", func(c jwt.MapClaims) { delete(c, "iat"); c["exp"] = now.Add(25 * time.Hour).Unix() }, false},
		{"issued long ago, living 48 h", func(c jwt.MapClaims) { c["iat"] = now.Add(-47 * time.Hour).Unix() }, false},
		{"issued in an hour", func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix(); c["exp"] = now.Add(2 * time.Hour).Unix() }, false},
	} {
		_, err := v.Verify(sign(t, jwt.SigningMethodHS256, secret, claims(tc.f)))
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !model.IsCode(err, model.CodeUnauthenticated) {
			t.Errorf("%s: %v, want unauthenticated", tc.name, err)
		}
	}
	v.MaxLifetime = 72 * time.Hour // configurable
	if _, err := v.Verify(sign(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(48 * time.Hour).Unix() }))); err != nil {
		t.Errorf("48 h token under a 72 h maximum: %v", err)
	}
}

// Issue 10, defect 5: token buckets per key: a burst, then one request per refill interval.
func TestLimiterTokenBucket(t *testing.T) {
	l := auth.NewLimiter(6, 3) // one token every 10 s, burst 3
	at := now
	for i := range 3 {
		if ok, _ := l.Allow("c-1", at); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("c-1", at)
	if ok || wait != 10*time.Second {
		t.Fatalf("beyond the burst: ok=%v retry after %s, want refused for 10s", ok, wait)
	}
	if ok, _ := l.Allow("c-2", at); !ok {
		t.Error("another person's bucket was affected")
	}
	if ok, _ := l.Allow("c-1", at.Add(10*time.Second)); !ok {
		t.Error("no token after the refill interval")
	}
	if ok, _ := l.Allow("c-1", at.Add(10*time.Second)); ok {
		t.Error("two tokens after one refill interval")
	}
	if ok, _ := auth.NewLimiter(0, 0).Allow("c-1", at); !ok {
		t.Error("a limiter of 0 per minute must allow everything")
	}
}
