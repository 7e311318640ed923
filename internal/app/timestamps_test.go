package app_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store/storetest"
	"github.com/homebell/homebell/internal/testkit"
)

// timestampLike is any string a client would take for a timestamp; oneTimestampForm is the one
// form homebell answers with (docs/api.md, model.TimeLayout): UTC, six fractional digits.
var (
	timestampLike    = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d`)
	oneTimestampForm = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
)

// timestampsOf walks a JSON document and returns every timestamp-valued member, by its path.
func timestampsOf(path string, v any, out map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			timestampsOf(path+"."+k, x, out)
		}
	case []any:
		for _, x := range v {
			timestampsOf(path+"[]", x, out)
		}
	case string:
		if timestampLike.MatchString(v) {
			out[path] = v
		}
	}
}

// X6 (#11): every timestamp in every answer has one form — RFC 3339 in UTC with exactly six
// fractional digits — whether it came fresh from the clock (nanoseconds) or back from the store
// (microseconds, trailing zeros trimmed before), and whether it is a field of an answer or sits
// in a notification's data, an audit entry's details or a stream frame.
func TestX6EveryTimestampHasOneForm(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		// A clock with nanoseconds whose microseconds end in zeros, and an appointment on the whole
		// hour: the widths that mixed (9 digits fresh, ".5" back from the store, none).
		clk := testkit.NewClock(ordT0.Add(500*time.Millisecond + 1))
		w := newOrdWorld(t, dsn, clk)
		gw := newGateway(t, clk, 200)
		gw.register(t, w.s, w.key, []string{notify.KindOrderAccepted, notify.KindChangeRequested})
		ws := w.stream(context.Background(), ordCustomer, 0)

		seen := map[string]int{} // answers checked per path
		check := func(r *apptest.Response) *apptest.Response {
			t.Helper()
			var doc any
			if err := json.Unmarshal(r.Body, &doc); err != nil {
				t.Fatalf("%s: %v", r, err)
			}
			got := map[string]string{}
			timestampsOf("", doc, got)
			for path, v := range got {
				if !oneTimestampForm.MatchString(v) {
					t.Errorf("%s %s: %s = %q, want RFC 3339 UTC with six fractional digits", r.Method, r.Path, path, v)
				}
			}
			seen[r.Method+" "+strings.Split(r.Path, "?")[0]] += len(got)
			return r
		}

		order := check(w.want(w.as(ordCustomer, "POST", "/v1/orders", map[string]any{"service_item_id": ordItem,
			"address": "浦东新区 XX 路 12 号", "appointment_at": ordT0.Add(30 * time.Hour).Format(time.RFC3339)}), 201)).Str("id")
		clk.Add(250*time.Millisecond + 3)
		check(w.want(w.as(ordW1, "POST", "/v1/orders/"+order+"/accept", nil), 200))
		clk.Add(40 * time.Millisecond)
		check(w.want(w.as(ordCustomer, "POST", "/v1/orders/"+order+"/time-changes",
			map[string]any{"new_time": ordT0.Add(32 * time.Hour).Format(time.RFC3339), "reason": "晚一点"}), 201))
		runDue(t, w.s)
		clk.Add(time.Second + 7)
		check(w.want(w.as(ordCustomer, "GET", "/v1/orders/"+order, nil), 200))
		check(w.want(w.as(ordCustomer, "GET", "/v1/orders", nil), 200))
		check(w.want(w.as(ordCustomer, "GET", "/v1/me/inbox", nil), 200))
		check(w.want(w.as(ordOp1, "GET", "/v1/orders/"+order+"/timeline", nil), 200))
		check(w.want(w.as(ordOp1, "GET", "/v1/admin/deliveries", nil), 200))
		check(w.want(w.as(ordOp1, "GET", "/v1/admin/webhooks", nil), 200))
		check(w.want(w.as(ordCustomer, "GET", "/v1/me", nil), 200))
		conv := check(w.want(w.as(ordCustomer, "GET", "/v1/orders/"+order+"/conversation", nil), 200)).Str("id")
		check(w.want(w.as(ordCustomer, "POST", "/v1/conversations/"+conv+"/messages", map[string]any{"client_id": "m1", "text": "您好"}), 201))
		check(w.want(w.as(ordW1, "GET", "/v1/conversations/"+conv+"/messages", nil), 200))
		check(w.want(w.as(ordCustomer, "GET", "/v1/me/conversations", nil), 200))

		for _, p := range []string{"POST /v1/orders", "POST /v1/orders/{id}/accept", "GET /v1/orders/{id}", "GET /v1/me/inbox",
			"GET /v1/orders/{id}/timeline", "GET /v1/admin/deliveries", "POST /v1/conversations/{id}/messages"} {
			n := 0
			for k, v := range seen {
				if k == p || pathMatches(p, k) {
					n += v
				}
			}
			if n == 0 {
				t.Errorf("%s carried no timestamp: the test checks nothing there (%v)", p, seen)
			}
		}

		// The stream's frames too: created_at of each and the timestamps in its data.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		frames := 0
		for frames < 3 {
			_, raw, err := ws.c.Read(ctx)
			if err != nil {
				t.Fatalf("stream after %d frames: %v", frames, err)
			}
			var doc any
			_ = json.Unmarshal(raw, &doc)
			got := map[string]string{}
			timestampsOf("", doc, got)
			for path, v := range got {
				if !oneTimestampForm.MatchString(v) {
					t.Errorf("stream frame %s: %s = %q, want RFC 3339 UTC with six fractional digits", raw, path, v)
				}
			}
			frames++
		}
	})
}

// pathMatches reports whether a concrete "METHOD /path" fits a pattern with {id} segments.
func pathMatches(pattern, concrete string) bool {
	p, c := strings.Split(pattern, "/"), strings.Split(concrete, "/")
	if len(p) != len(c) {
		return false
	}
	for i := range p {
		if p[i] != c[i] && !strings.HasPrefix(p[i], "{") {
			return false
		}
	}
	return true
}
