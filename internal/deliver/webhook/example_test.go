package webhook_test

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/homebell/homebell/internal/deliver/webhook"
)

// A platform gateway that receives homebell's webhooks checks each one before acting on it.
func ExampleVerify() {
	secret, err := webhook.DecodeSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		panic(err)
	}
	handler := func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(secret, r.Header, body, time.Now(), webhook.DefaultTolerance); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		// Deduplicate on r.Header.Get("webhook-id"): a retry carries the same id.
		w.WriteHeader(http.StatusNoContent)
	}
	_ = handler

	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	fmt.Println(webhook.Verify(secret, h, []byte(`{"test": 2432232314}`), time.Unix(1614265330, 0), 0))
	// Output: <nil>
}
