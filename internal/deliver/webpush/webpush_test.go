package webpush

import (
	"bytes"
	"context"
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
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// browser is the receiving side of a subscription: the key pair and auth secret a browser makes
// in pushManager.subscribe.
type browser struct {
	key  *ecdh.PrivateKey
	auth []byte
}

func newBrowser(t *testing.T) browser {
	t.Helper()
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	if _, err := rand.Read(auth); err != nil {
		t.Fatal(err)
	}
	return browser{key: key, auth: auth}
}

func (b browser) subscription(endpoint string) Subscription {
	return Subscription{Endpoint: endpoint, P256dh: b64(b.key.PublicKey().Bytes()), Auth: b64(b.auth)}
}

// received is one message as the push service saw it, after checking and decrypting it.
type received struct {
	header    http.Header
	bodyLen   int
	plaintext []byte
}

// pushService stands in for FCM or Mozilla's autopush: it checks the VAPID header the way they
// do, and decrypts the body the way the browser will.
type pushService struct {
	srv      *httptest.Server
	vapidKey string
	browser  browser

	mu     sync.Mutex
	status int
	header http.Header // extra response headers
	got    []received
}

func newPushService(t *testing.T, vapidPublic string, b browser) *pushService {
	t.Helper()
	ps := &pushService{vapidKey: vapidPublic, browser: b, status: http.StatusCreated}
	ps.srv = httptest.NewServer(http.HandlerFunc(ps.serve))
	t.Cleanup(ps.srv.Close)
	return ps
}

func (ps *pushService) respond(status int, h http.Header) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.status, ps.header = status, h
}

func (ps *pushService) received() []received {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]received(nil), ps.got...)
}

func (ps *pushService) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := verifyVAPID(r.Header.Get("Authorization"), ps.srv.URL, ps.vapidKey, time.Now()); err != nil {
		http.Error(w, "vapid: "+err.Error(), http.StatusUnauthorized)
		return
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "aes128gcm" {
		http.Error(w, "content-encoding "+ce, http.StatusUnsupportedMediaType)
		return
	}
	plain, err := decryptAES128GCM(body, ps.browser.key, ps.browser.auth)
	if err != nil {
		http.Error(w, "decrypt: "+err.Error(), http.StatusBadRequest)
		return
	}
	ps.mu.Lock()
	ps.got = append(ps.got, received{header: r.Header.Clone(), bodyLen: len(body), plaintext: plain})
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

// verifyVAPID checks an RFC 8292 Authorization header: "vapid t=<JWT>, k=<public key>" where the
// JWT is ES256-signed by k, names the endpoint's origin as aud, expires within 24 hours, and has
// a contact in sub.
func verifyVAPID(header, wantAud, wantKey string, now time.Time) error {
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

// decryptAES128GCM is the browser's side of RFC 8291 §3.4 over RFC 8188: read the header, agree
// on the key, derive CEK and nonce, open the single record and strip its padding.
func decryptAES128GCM(body []byte, ua *ecdh.PrivateKey, auth []byte) ([]byte, error) {
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

func TestX2DecryptorReadsRFC8291AppendixA(t *testing.T) {
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ua, err := ecdh.P256().NewPrivateKey(dec("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"))
	if err != nil {
		t.Fatal(err)
	}
	if got := b64(ua.PublicKey().Bytes()); got != "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4" {
		t.Fatalf("user agent public key = %s", got)
	}
	body := dec("DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN")
	auth := dec("BTBZMqHH6r4Tts7J_aSIgg")
	plain, err := decryptAES128GCM(body, ua, auth)
	if err != nil {
		t.Fatal(err)
	}
	if string(plain) != "When I grow up, I want to be a watermelon" {
		t.Fatalf("plaintext = %q", plain)
	}
	body[len(body)-1] ^= 1
	if _, err := decryptAES128GCM(body, ua, auth); err == nil {
		t.Fatal("a flipped bit still decrypts")
	}
}

func testSender(t *testing.T) *Sender {
	t.Helper()
	pub, priv, err := GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	return &Sender{VAPIDPublic: pub, VAPIDPrivate: priv, Subscriber: "mailto:ops@homebell.test"}
}

func TestX2PushIsSignedAndReadableOnlyByTheBrowser(t *testing.T) {
	s := testSender(t)
	b := newBrowser(t)
	ps := newPushService(t, s.VAPIDPublic, b)
	p := Payload{
		Title:          "师傅即将上门",
		Body:           "王师傅将于 14:00 到达，请提前做好准备。",
		Kind:           "order.reminder",
		Category:       "service",
		Importance:     "critical",
		Alert:          "sound",
		URL:            "/orders/0193f0c2",
		NotificationID: "0193f0c2-aaaa-7bbb-8ccc-123456789abc",
		Data:           map[string]any{"order_id": "0193f0c2", "starts_at": "2025-03-14T14:00:00+08:00"},
	}
	urgency, ttl := UrgencyFor(p.Importance)
	res := s.Send(context.Background(), b.subscription(ps.srv.URL+"/push/v2/abc123"), p,
		Options{Urgency: urgency, TTL: ttl, Topic: "order-0193f0c2"})
	if !res.OK() || res.StatusCode != http.StatusCreated || res.Error != "" || res.Gone || res.Retryable {
		t.Fatalf("Send = %+v", res)
	}

	got := ps.received()
	if len(got) != 1 {
		t.Fatalf("push service got %d messages", len(got))
	}
	want, _ := json.Marshal(p)
	if !bytes.Equal(got[0].plaintext, want) {
		t.Fatalf("decrypted %s\nwant      %s", got[0].plaintext, want)
	}
	var back Payload
	if err := json.Unmarshal(got[0].plaintext, &back); err != nil || !reflect.DeepEqual(back, p) {
		t.Fatalf("payload round trip = %+v, %v", back, err)
	}
	for k, v := range map[string]string{"TTL": "3600", "Urgency": "high", "Topic": "order-0193f0c2"} {
		if h := got[0].header.Get(k); h != v {
			t.Errorf("%s = %q, want %q", k, h, v)
		}
	}
	// webpush-go pads every message to a full record, hiding its length from the push service.
	if got[0].bodyLen != 4096 {
		t.Logf("body is %d bytes (padding changed?)", got[0].bodyLen)
	}

	// Another browser's keys cannot read it: same service, wrong subscription keys.
	other := newBrowser(t)
	sub := other.subscription(ps.srv.URL + "/push/v2/abc123")
	res = s.Send(context.Background(), sub, p, Options{})
	if res.OK() || !strings.Contains(res.Error, "decrypt") {
		t.Fatalf("message for another browser decrypted: %+v", res)
	}
}

func TestX2PushDefaultsAndBareSubscriber(t *testing.T) {
	s := testSender(t)
	s.Subscriber = "ops@homebell.test" // webpush-go adds mailto:
	b := newBrowser(t)
	ps := newPushService(t, s.VAPIDPublic, b)
	res := s.Send(context.Background(), b.subscription(ps.srv.URL+"/x"), Payload{Title: "t", Body: "b"}, Options{})
	if !res.OK() {
		t.Fatalf("Send = %+v", res)
	}
	h := ps.received()[0].header
	if h.Get("TTL") != "43200" || h.Get("Urgency") != "normal" || h.Get("Topic") != "" {
		t.Errorf("defaults: TTL %q Urgency %q Topic %q", h.Get("TTL"), h.Get("Urgency"), h.Get("Topic"))
	}
}

func TestX2PushServiceAnswers(t *testing.T) {
	s := testSender(t)
	b := newBrowser(t)
	ps := newPushService(t, s.VAPIDPublic, b)
	sub := b.subscription(ps.srv.URL + "/push/x")
	tests := []struct {
		status      int
		header      http.Header
		gone, retry bool
		retryAfter  time.Duration
	}{
		{status: 201},
		{status: 404, gone: true},
		{status: 410, gone: true},
		{status: 503, retry: true},
		{status: 500, retry: true},
		{status: 429, header: http.Header{"Retry-After": {"30"}}, retry: true, retryAfter: 30 * time.Second},
		{status: 400},
		{status: 403},
		{status: 413},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			ps.respond(tt.status, tt.header)
			res := s.Send(context.Background(), sub, Payload{Title: "t"}, Options{})
			if res.StatusCode != tt.status || res.Gone != tt.gone || res.Retryable != tt.retry || res.RetryAfter != tt.retryAfter {
				t.Fatalf("Send = %+v", res)
			}
			if res.OK() != (res.Error == "") {
				t.Fatalf("OK %v with error %q", res.OK(), res.Error)
			}
		})
	}
}

func TestX2PushNetworkErrorIsRetryable(t *testing.T) {
	s := testSender(t)
	b := newBrowser(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	endpoint := srv.URL + "/push/capability-token"
	srv.Close()
	res := s.Send(context.Background(), b.subscription(endpoint), Payload{Title: "t"}, Options{})
	if res.OK() || !res.Retryable || res.Gone || res.Error == "" {
		t.Fatalf("Send = %+v", res)
	}
	if strings.Contains(res.Error, "capability-token") {
		t.Errorf("error leaks the endpoint: %q", res.Error)
	}
}

func TestX2PushRefusesWhatCannotWork(t *testing.T) {
	s := testSender(t)
	b := newBrowser(t)
	ps := newPushService(t, s.VAPIDPublic, b)
	sub := b.subscription(ps.srv.URL + "/push/x")

	big := Payload{Title: "t", Body: strings.Repeat("长", MaxPayload/3)}
	if res := s.Send(context.Background(), sub, big, Options{}); res.OK() || res.Retryable || res.Gone || !strings.Contains(res.Error, "payload") {
		t.Errorf("oversized payload: %+v", res)
	}
	if res := s.Send(context.Background(), sub, Payload{}, Options{Urgency: "urgent"}); res.OK() || res.Retryable {
		t.Errorf("bad urgency: %+v", res)
	}
	if res := s.Send(context.Background(), sub, Payload{}, Options{Topic: "has spaces"}); res.OK() || res.Retryable {
		t.Errorf("bad topic: %+v", res)
	}
	broken := sub
	broken.Auth = "short"
	if res := s.Send(context.Background(), broken, Payload{}, Options{}); res.OK() || !res.Gone {
		t.Errorf("malformed subscription: %+v", res)
	}
	if n := len(ps.received()); n != 0 {
		t.Errorf("push service got %d requests for refused sends", n)
	}
}

func TestX2SubscriptionValidate(t *testing.T) {
	b := newBrowser(t)
	good := b.subscription("https://fcm.googleapis.com/fcm/send/abc")
	padded := good
	padded.Auth = base64.URLEncoding.EncodeToString(b.auth)
	notOnCurve := make([]byte, 65)
	notOnCurve[0] = 4
	tests := []struct {
		name string
		edit func(*Subscription)
		ok   bool
	}{
		{"https", func(*Subscription) {}, true},
		{"padded base64url", func(s *Subscription) { *s = padded }, true},
		{"http loopback ip", func(s *Subscription) { s.Endpoint = "http://127.0.0.1:8080/push" }, true},
		{"http localhost", func(s *Subscription) { s.Endpoint = "http://localhost/push" }, true},
		{"http ipv6 loopback", func(s *Subscription) { s.Endpoint = "http://[::1]:9/push" }, true},
		{"http elsewhere", func(s *Subscription) { s.Endpoint = "http://push.example.com/x" }, false},
		{"http private network", func(s *Subscription) { s.Endpoint = "http://10.0.0.1/x" }, false},
		{"other scheme", func(s *Subscription) { s.Endpoint = "ftp://example.com/x" }, false},
		{"no host", func(s *Subscription) { s.Endpoint = "https:///x" }, false},
		{"empty endpoint", func(s *Subscription) { s.Endpoint = "" }, false},
		{"user info", func(s *Subscription) { s.Endpoint = "https://u:p@example.com/x" }, false},
		{"short key", func(s *Subscription) { s.P256dh = b64(b.key.PublicKey().Bytes()[:33]) }, false},
		{"key off the curve", func(s *Subscription) { s.P256dh = b64(notOnCurve) }, false},
		{"key not base64url", func(s *Subscription) { s.P256dh = "!!" + s.P256dh[2:] }, false},
		{"auth 15 bytes", func(s *Subscription) { s.Auth = b64(b.auth[:15]) }, false},
		{"no auth", func(s *Subscription) { s.Auth = "" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := good
			tt.edit(&sub)
			if err := sub.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate(%+v) = %v, want ok %v", sub, err, tt.ok)
			}
		})
	}
}

func TestX2UrgencyFollowsImportance(t *testing.T) {
	tests := []struct {
		importance, urgency string
		ttl                 time.Duration
	}{
		{"critical", "high", time.Hour},
		{"high", "high", 4 * time.Hour},
		{"normal", "normal", 12 * time.Hour},
		{"low", "low", 24 * time.Hour},
		{"", "normal", 12 * time.Hour},
	}
	for _, tt := range tests {
		u, ttl := UrgencyFor(tt.importance)
		if u != tt.urgency || ttl != tt.ttl {
			t.Errorf("UrgencyFor(%q) = %s, %s; want %s, %s", tt.importance, u, ttl, tt.urgency, tt.ttl)
		}
	}
}

func TestX2VAPIDKeys(t *testing.T) {
	pub, priv, err := GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	if len(pub) != 87 || len(priv) != 43 {
		t.Errorf("key lengths %d and %d, want 87 and 43 base64url characters", len(pub), len(priv))
	}
	if err := CheckVAPIDKeys(pub, priv); err != nil {
		t.Fatalf("CheckVAPIDKeys: %v", err)
	}
	pub2, priv2, _ := GenerateVAPIDKeys()
	if pub2 == pub || priv2 == priv {
		t.Fatal("two key pairs are equal")
	}
	if err := CheckVAPIDKeys(pub2, priv); err == nil {
		t.Error("mismatched pair accepted")
	}
	if err := CheckVAPIDKeys(pub, "nope"); err == nil {
		t.Error("garbage private key accepted")
	}
}
