// Package webpushtest is a Web Push service for tests: it checks the VAPID header the way FCM or
// Mozilla's autopush do, and decrypts the RFC 8291 body the way the browser will, so a test can
// assert what the person's browser would show.
package webpushtest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Browser is the receiving side of a subscription: the key pair and auth secret a Browser makes
// in pushManager.subscribe.
type Browser struct {
	Key  *ecdh.PrivateKey
	Auth []byte
}

func NewBrowser(t *testing.T) Browser {
	t.Helper()
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	if _, err := rand.Read(auth); err != nil {
		t.Fatal(err)
	}
	return Browser{Key: key, Auth: auth}
}

// Received is one message as the push service saw it, after checking and decrypting it.
type Received struct {
	Header    http.Header
	BodyLen   int
	Plaintext []byte
}

// PushService stands in for FCM or Mozilla's autopush: it checks the VAPID header the way they
// do, and decrypts the body the way the Browser will.
type PushService struct {
	srv      *httptest.Server
	vapidKey string
	browser  Browser

	mu     sync.Mutex
	status int
	header http.Header // extra response headers
	got    []Received
}

func NewPushService(t *testing.T, vapidPublic string, b Browser) *PushService {
	t.Helper()
	ps := &PushService{vapidKey: vapidPublic, browser: b, status: http.StatusCreated}
	ps.srv = httptest.NewServer(http.HandlerFunc(ps.serve))
	t.Cleanup(ps.srv.Close)
	return ps
}

func (ps *PushService) Respond(status int, h http.Header) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.status, ps.header = status, h
}

func (ps *PushService) Received() []Received {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]Received(nil), ps.got...)
}

func (ps *PushService) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := VerifyVAPID(r.Header.Get("Authorization"), ps.srv.URL, ps.vapidKey, time.Now()); err != nil {
		http.Error(w, "vapid: "+err.Error(), http.StatusUnauthorized)
		return
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "aes128gcm" {
		http.Error(w, "content-encoding "+ce, http.StatusUnsupportedMediaType)
		return
	}
	plain, err := DecryptAES128GCM(body, ps.browser.Key, ps.browser.Auth)
	if err != nil {
		http.Error(w, "decrypt: "+err.Error(), http.StatusBadRequest)
		return
	}
	ps.mu.Lock()
	ps.got = append(ps.got, Received{Header: r.Header.Clone(), BodyLen: len(body), Plaintext: plain})
	status, extra := ps.status, ps.header
	ps.mu.Unlock()
	for k, v := range extra {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	if status >= 300 {
		fmt.Fprint(w, http.StatusText(status))
	}
}

// VerifyVAPID checks an RFC 8292 Authorization header: "vapid t=<JWT>, k=<public key>" where the
// JWT is ES256-signed by k, names the endpoint's origin as aud, expires within 24 hours, and has
// a contact in sub.
func VerifyVAPID(header, wantAud, wantKey string, now time.Time) error {
	params, ok := strings.CutPrefix(header, "vapid ")
	if !ok {
		return fmt.Errorf("scheme of %q is not vapid", header)
	}
	var token, key string
	for _, p := range strings.Split(params, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch name {
		case "t":
			token = value
		case "k":
			key = value
		}
	}
	if key != wantKey {
		return fmt.Errorf("k = %q, want the server's VAPID key %q", key, wantKey)
	}
	rawKey, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil {
		return fmt.Errorf("k: %w", err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), rawKey)
	if err != nil {
		return fmt.Errorf("k: %w", err)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fmt.Errorf("t has %d parts, want 3", len(parts))
	}
	var head struct {
		Alg string `json:"alg"`
	}
	if err := decodeJWTPart(parts[0], &head); err != nil || head.Alg != "ES256" {
		return fmt.Errorf("JWT header alg %q (%v), want ES256", head.Alg, err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return fmt.Errorf("JWT signature is not 64 bytes of base64url (%v)", err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(pub, digest[:], r, s) {
		return errors.New("JWT signature does not verify with k")
	}
	var claims struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}
	if err := decodeJWTPart(parts[1], &claims); err != nil {
		return fmt.Errorf("JWT claims: %w", err)
	}
	if claims.Aud != wantAud {
		return fmt.Errorf("aud = %q, want %q", claims.Aud, wantAud)
	}
	exp := time.Unix(claims.Exp, 0)
	if !exp.After(now) || exp.After(now.Add(24*time.Hour)) {
		return fmt.Errorf("exp %s is not within 24h after %s", exp, now)
	}
	if !strings.HasPrefix(claims.Sub, "mailto:") && !strings.HasPrefix(claims.Sub, "https:") {
		return fmt.Errorf("sub = %q, want a mailto: or https: contact", claims.Sub)
	}
	if strings.HasPrefix(claims.Sub, "mailto:mailto:") {
		return fmt.Errorf("sub = %q has a doubled scheme", claims.Sub)
	}
	return nil
}

func decodeJWTPart(part string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// DecryptAES128GCM is the Browser's side of RFC 8291 §3.4 over RFC 8188: read the header, agree
// on the key, derive CEK and nonce, open the single record and strip its padding.
func DecryptAES128GCM(body []byte, ua *ecdh.PrivateKey, auth []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("body shorter than the aes128gcm header")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < 21+idlen {
		return nil, errors.New("body shorter than its key id")
	}
	asPublic, ciphertext := body[21:21+idlen], body[21+idlen:]
	if rs < 18 {
		return nil, fmt.Errorf("record size %d below 18", rs)
	}
	if len(ciphertext) > int(rs) {
		return nil, fmt.Errorf("%d bytes of records exceed one record of %d: web push allows one", len(ciphertext), rs)
	}
	as, err := ecdh.P256().NewPublicKey(asPublic)
	if err != nil {
		return nil, fmt.Errorf("key id is not a P-256 point: %w", err)
	}
	shared, err := ua.ECDH(as)
	if err != nil {
		return nil, err
	}
	keyInfo := "WebPush: info\x00" + string(ua.PublicKey().Bytes()) + string(asPublic)
	ikm, err := hkdf.Key(sha256.New, shared, auth, keyInfo, 32)
	if err != nil {
		return nil, err
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, ciphertext, nil) // record 0: the nonce as derived
	if err != nil {
		return nil, fmt.Errorf("open record: %w", err)
	}
	// Padding is zeros after a delimiter, 0x02 for the last (here the only) record.
	end := len(plain) - 1
	for end >= 0 && plain[end] == 0 {
		end--
	}
	if end < 0 || plain[end] != 0x02 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:end], nil
}

// URL is the push endpoint of this service.
func (ps *PushService) URL() string { return ps.srv.URL }

// P256dh is the browser's public key as a subscription carries it (base64url).
func (b Browser) P256dh() string {
	return base64.RawURLEncoding.EncodeToString(b.Key.PublicKey().Bytes())
}

// AuthSecret is the browser's auth secret as a subscription carries it (base64url).
func (b Browser) AuthSecret() string { return base64.RawURLEncoding.EncodeToString(b.Auth) }
