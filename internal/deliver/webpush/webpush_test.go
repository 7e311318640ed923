package webpush

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/deliver/webpush/webpushtest"
)

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
	plain, err := webpushtest.DecryptAES128GCM(body, ua, auth)
	if err != nil {
		t.Fatal(err)
	}
	if string(plain) != "When I grow up, I want to be a watermelon" {
		t.Fatalf("plaintext = %q", plain)
	}
	body[len(body)-1] ^= 1
	if _, err := webpushtest.DecryptAES128GCM(body, ua, auth); err == nil {
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
	b := webpushtest.NewBrowser(t)
	ps := webpushtest.NewPushService(t, s.VAPIDPublic, b)
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
	res := s.Send(context.Background(), subscriptionOf(b, ps.URL()+"/push/v2/abc123"), p,
		Options{Urgency: urgency, TTL: ttl, Topic: "order-0193f0c2"})
	if !res.OK() || res.StatusCode != http.StatusCreated || res.Error != "" || res.Gone || res.Retryable {
		t.Fatalf("Send = %+v", res)
	}

	got := ps.Received()
	if len(got) != 1 {
		t.Fatalf("push service got %d messages", len(got))
	}
	want, _ := json.Marshal(p)
	if !bytes.Equal(got[0].Plaintext, want) {
		t.Fatalf("decrypted %s\nwant      %s", got[0].Plaintext, want)
	}
	var back Payload
	if err := json.Unmarshal(got[0].Plaintext, &back); err != nil || !reflect.DeepEqual(back, p) {
		t.Fatalf("payload round trip = %+v, %v", back, err)
	}
	for k, v := range map[string]string{"TTL": "3600", "Urgency": "high", "Topic": "order-0193f0c2"} {
		if h := got[0].Header.Get(k); h != v {
			t.Errorf("%s = %q, want %q", k, h, v)
		}
	}
	// webpush-go pads every message to a full record, hiding its length from the push service.
	if got[0].BodyLen != 4096 {
		t.Logf("body is %d bytes (padding changed?)", got[0].BodyLen)
	}

	// Another browser's keys cannot read it: same service, wrong subscription keys.
	other := webpushtest.NewBrowser(t)
	sub := subscriptionOf(other, ps.URL()+"/push/v2/abc123")
	res = s.Send(context.Background(), sub, p, Options{})
	if res.OK() || !strings.Contains(res.Error, "decrypt") {
		t.Fatalf("message for another browser decrypted: %+v", res)
	}
}

func TestX2PushDefaultsAndBareSubscriber(t *testing.T) {
	s := testSender(t)
	s.Subscriber = "ops@homebell.test" // webpush-go adds mailto:
	b := webpushtest.NewBrowser(t)
	ps := webpushtest.NewPushService(t, s.VAPIDPublic, b)
	res := s.Send(context.Background(), subscriptionOf(b, ps.URL()+"/x"), Payload{Title: "t", Body: "b"}, Options{})
	if !res.OK() {
		t.Fatalf("Send = %+v", res)
	}
	h := ps.Received()[0].Header
	if h.Get("TTL") != "43200" || h.Get("Urgency") != "normal" || h.Get("Topic") != "" {
		t.Errorf("defaults: TTL %q Urgency %q Topic %q", h.Get("TTL"), h.Get("Urgency"), h.Get("Topic"))
	}
}

func TestX2PushServiceAnswers(t *testing.T) {
	s := testSender(t)
	b := webpushtest.NewBrowser(t)
	ps := webpushtest.NewPushService(t, s.VAPIDPublic, b)
	sub := subscriptionOf(b, ps.URL()+"/push/x")
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
			ps.Respond(tt.status, tt.header)
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
	b := webpushtest.NewBrowser(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	endpoint := srv.URL + "/push/capability-token"
	srv.Close()
	res := s.Send(context.Background(), subscriptionOf(b, endpoint), Payload{Title: "t"}, Options{})
	if res.OK() || !res.Retryable || res.Gone || res.Error == "" {
		t.Fatalf("Send = %+v", res)
	}
	if strings.Contains(res.Error, "capability-token") {
		t.Errorf("error leaks the endpoint: %q", res.Error)
	}
}

func TestX2PushRefusesWhatCannotWork(t *testing.T) {
	s := testSender(t)
	b := webpushtest.NewBrowser(t)
	ps := webpushtest.NewPushService(t, s.VAPIDPublic, b)
	sub := subscriptionOf(b, ps.URL()+"/push/x")

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
	if n := len(ps.Received()); n != 0 {
		t.Errorf("push service got %d requests for refused sends", n)
	}
}

func TestX2SubscriptionValidate(t *testing.T) {
	b := webpushtest.NewBrowser(t)
	good := subscriptionOf(b, "https://fcm.googleapis.com/fcm/send/abc")
	padded := good
	padded.Auth = base64.URLEncoding.EncodeToString(b.Auth)
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
		{"short key", func(s *Subscription) { s.P256dh = b64(b.Key.PublicKey().Bytes()[:33]) }, false},
		{"key off the curve", func(s *Subscription) { s.P256dh = b64(notOnCurve) }, false},
		{"key not base64url", func(s *Subscription) { s.P256dh = "!!" + s.P256dh[2:] }, false},
		{"auth 15 bytes", func(s *Subscription) { s.Auth = b64(b.Auth[:15]) }, false},
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

// subscriptionOf is the subscription a browser hands the server.
func subscriptionOf(b webpushtest.Browser, endpoint string) Subscription {
	return Subscription{Endpoint: endpoint, P256dh: b.P256dh(), Auth: b.AuthSecret()}
}
