// Package auth verifies who is calling: people with JWTs issued by the platform (HS256 with a
// shared secret, or EdDSA / RS256 with a configured public key), and platform backends with
// service keys. Handlers state the roles they admit; the middleware enforces them.
package auth

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/homebell/homebell/internal/model"
)

// Principal is the authenticated caller.
type Principal struct {
	ID   string     // person id, or "key:<id>" for a service key
	Role model.Role // a person role, or RolePlatform
	Name string
}

// Is reports whether the principal has one of roles.
func (p Principal) Is(roles ...model.Role) bool {
	for _, r := range roles {
		if p.Role == r {
			return true
		}
	}
	return false
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the principal of an authenticated request.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// Claims are the JWT claims homebell reads: sub is the person id, role their role.
type Claims struct {
	Role string `json:"role"`
	jwt.RegisteredClaims
}

// Verifier checks platform-issued tokens.
type Verifier struct {
	secret []byte
	pub    crypto.PublicKey
	now    func() time.Time
	// MaxLifetime is the longest a token may live: its exp may be at most this far after its iat
	// and after now (default 24 h). A token issued in the future (beyond the clock skew) is refused.
	MaxLifetime time.Duration

	// verified are tokens that passed every check, by their text: a client sends the same token
	// with every request, and parsing and verifying it again was 5 % of an order action's
	// allocations. A hit has its time claims checked again (validator); what fails them takes
	// the full path, which words the error.
	mu        sync.Mutex
	verified  map[string]Claims
	validator *jwt.Validator
}

// maxVerified bounds the verified tokens kept: when full, they are all forgotten.
const maxVerified = 4096

// cachedPrincipal is the principal of a token verified before whose time claims still hold now.
func (v *Verifier) cachedPrincipal(token string) (Principal, bool) {
	v.mu.Lock()
	c, ok := v.verified[token]
	v.mu.Unlock()
	if !ok || v.validator.Validate(c) != nil || !v.lifetimeOK(c) {
		return Principal{}, false
	}
	return Principal{ID: c.Subject, Role: model.Role(c.Role)}, true
}

func (v *Verifier) remember(token string, c Claims) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.verified) >= maxVerified {
		clear(v.verified)
	}
	v.verified[token] = c
}

// lifetimeOK checks c against MaxLifetime.
func (v *Verifier) lifetimeOK(c Claims) bool {
	if v.MaxLifetime <= 0 {
		return true
	}
	now, exp := v.now(), c.ExpiresAt.Time
	return !(exp.Sub(now) > v.MaxLifetime+clockSkew || (c.IssuedAt != nil && exp.Sub(c.IssuedAt.Time) > v.MaxLifetime+clockSkew))
}

// clockSkew is how far the issuer's clock may be from ours.
const clockSkew = 30 * time.Second

// NewVerifier builds a verifier from a shared secret and/or a PEM public key (either may be empty,
// not both).
func NewVerifier(secret []byte, publicKeyPEM []byte, now func() time.Time) (*Verifier, error) {
	v := &Verifier{secret: secret, now: now, MaxLifetime: 24 * time.Hour, verified: map[string]Claims{}}
	v.validator = jwt.NewValidator(v.timeOptions()...)
	if len(publicKeyPEM) > 0 {
		block, _ := pem.Decode(publicKeyPEM)
		if block == nil {
			return nil, errors.New("auth: public key is not PEM")
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("auth: public key: %w", err)
		}
		switch pub.(type) {
		case ed25519.PublicKey, *rsa.PublicKey:
		default:
			return nil, fmt.Errorf("auth: public key must be Ed25519 or RSA, not %T", pub)
		}
		v.pub = pub
	}
	if len(v.secret) == 0 && v.pub == nil {
		return nil, errors.New("auth: need a JWT secret or a public key")
	}
	if len(v.secret) > 0 && len(v.secret) < 32 {
		return nil, errors.New("auth: JWT secret must be at least 32 bytes")
	}
	return v, nil
}

// Verify checks a token and returns its principal. It accepts only the algorithms configured:
// HS256 with the secret, EdDSA or RS256 with the public key; "none" and everything else fail.
func (v *Verifier) Verify(token string) (Principal, error) {
	if p, ok := v.cachedPrincipal(token); ok {
		return p, nil
	}
	var methods []string
	if len(v.secret) > 0 {
		methods = append(methods, "HS256")
	}
	switch v.pub.(type) {
	case ed25519.PublicKey:
		methods = append(methods, "EdDSA")
	case *rsa.PublicKey:
		methods = append(methods, "RS256")
	}
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		switch t.Method.Alg() {
		case "HS256":
			return v.secret, nil
		case "EdDSA", "RS256":
			return v.pub, nil
		}
		return nil, fmt.Errorf("algorithm %s not accepted", t.Method.Alg())
	}, append(v.timeOptions(), jwt.WithValidMethods(methods))...)
	if err != nil {
		return Principal{}, model.Errorf(model.CodeUnauthenticated, "invalid token: %v", err)
	}
	if !v.lifetimeOK(c) {
		return Principal{}, model.Errorf(model.CodeUnauthenticated, "invalid token: it lives longer than the %s allowed", v.MaxLifetime)
	}
	role := model.Role(c.Role)
	if c.Subject == "" || !role.Valid() {
		return Principal{}, model.Errorf(model.CodeUnauthenticated, "token needs sub and a valid role")
	}
	v.remember(token, c)
	return Principal{ID: c.Subject, Role: role}, nil
}

// timeOptions are how a token's time claims are checked.
func (v *Verifier) timeOptions() []jwt.ParserOption {
	return []jwt.ParserOption{jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(v.now), jwt.WithLeeway(clockSkew)}
}

// Mint issues an HS256 token; for development (`homebell token`, the demo sign-in) and tests.
func Mint(secret []byte, personID string, role model.Role, now time.Time, ttl time.Duration) (string, error) {
	c := Claims{Role: string(role), RegisteredClaims: jwt.RegisteredClaims{
		Subject:   personID,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("auth: mint: %w", err)
	}
	return s, nil
}

// ServiceKeyPrefix starts every service key, so a bearer credential is recognisable as one.
const ServiceKeyPrefix = "hbk_"

// SplitServiceKey parses "hbk_<id>_<secret>".
func SplitServiceKey(s string) (id, secret string, ok bool) {
	rest, ok := strings.CutPrefix(s, ServiceKeyPrefix)
	if !ok {
		return "", "", false
	}
	id, secret, ok = strings.Cut(rest, "_")
	return id, secret, ok && id != "" && len(secret) >= 32
}

// HashSecret is how service-key secrets are stored. The secrets are 256-bit random, so a plain
// SHA-256 is enough (no password stretching needed).
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// SecretMatches compares in constant time.
func SecretMatches(secret, hash string) bool {
	return subtle.ConstantTimeCompare([]byte(HashSecret(secret)), []byte(hash)) == 1
}
