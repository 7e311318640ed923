package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/config"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
)

// relWorld is an order world whose node takes cfg adjustments (rate limits on, …).
func relWorld(t *testing.T, dsn string, adjust func(*config.Config)) *world {
	t.Helper()
	w := newWorld(t, dsn, worldOptions{Config: adjust})
	w.seedOrders()
	return w
}

func relProblem(t *testing.T, r *apptest.Response, status int, code model.Code) {
	t.Helper()
	if r.Status != status || r.Code() != string(code) || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("%s\nwant %d %s problem", r, status, code)
	}
}

// Issue 10, defect 3: NUL (and other control characters) in a JSON string, a path id, cursor= or
// q= answered 500 on PostgreSQL. They are refused with 400 on both stores.
func TestIssue10ControlCharactersAre400(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := relWorld(t, dsn, nil)
		tok := w.tok(ordCustomer)
		at := ordT0.Add(48 * time.Hour).Format(time.RFC3339)
		for _, body := range []string{
			`{"service_item_id":"daily-cleaning","address":"a\u0000b","appointment_at":"` + at + `"}`,
			`{"service_item_id":"daily-cleaning","address":"a","requirements":"x\u001by","appointment_at":"` + at + `"}`,
			`{"service_item_id":"daily-cleaning\u0000","address":"a","appointment_at":"` + at + `"}`,
			"{\"service_item_id\":\"daily-cleaning\",\"address\":\"a\x7f\",\"appointment_at\":\"" + at + "\"}",
			"{\"service_item_id\":\"daily-cleaning\",\"address\":\"\xff\xfe\",\"appointment_at\":\"" + at + "\"}",
		} {
			relProblem(t, w.s.Do("POST", "/v1/orders", tok, body), 400, model.CodeInvalid)
		}
		// Free text keeps its newlines and tabs.
		r := w.s.Do("POST", "/v1/orders", tok, `{"service_item_id":"daily-cleaning","address":"a","requirements":"line 1\nline\t2","appointment_at":"`+at+`"}`)
		if r.Status != 201 {
			t.Errorf("newline and tab in free text: %s", r)
		}
		for _, path := range []string{"/v1/orders/abc%00def", "/v1/orders?cursor=%00", "/v1/me/inbox?q=a%00b", "/v1/orders?status=%01"} {
			relProblem(t, w.s.Do("GET", path, tok, nil), 400, model.CodeInvalid)
		}
		relProblem(t, w.s.DoWith("POST", "/v1/orders", tok, `{}`, http.Header{"Idempotency-Key": {"k\tk"}}), 400, model.CodeInvalid)
	})
}

// Issue 10, defect 4: with the database out of reach (here: its tables gone) the API answered
// 500; it answers 503 unavailable with Retry-After, and /readyz checks the schema version.
func TestIssue10DatabaseGoneIs503AndReadyzChecksTheSchema(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := relWorld(t, dsn, nil)
		if r := w.s.Do("GET", "/readyz", "", nil); r.Status != 200 {
			t.Fatalf("readyz on a migrated database: %s", r)
		}
		exec := func(q string) {
			t.Helper()
			if err := w.s.Store.InTx(context.Background(), func(tx *store.Tx) error {
				_, err := tx.SQL().ExecContext(context.Background(), q)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		// A schema behind this binary (an unmigrated database): not ready.
		exec(`UPDATE goose_db_version SET is_applied = false WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)`)
		r := w.s.Do("GET", "/readyz", "", nil)
		relProblem(t, r, 503, model.CodeUnavailable)
		if !strings.Contains(r.Str("detail"), "schema") {
			t.Errorf("readyz detail %q does not name the schema", r.Str("detail"))
		}
		// Tables the API needs are gone.
		tok := w.tok(ordCustomer)
		exec(`ALTER TABLE orders RENAME TO orders_gone`)
		r = w.s.Do("GET", "/v1/orders", tok, nil)
		relProblem(t, r, 503, model.CodeUnavailable)
		if r.Header.Get("Retry-After") == "" {
			t.Errorf("503 without Retry-After: %s", r)
		}
	})
}

// Issue 10, defect 7: ?access_token= was accepted on every GET route. Only the two stream routes
// take it.
func TestIssue10AccessTokenOnlyOnStreamRoutes(t *testing.T) {
	t.Parallel()
	w := relWorld(t, storetest.SQLitePath(t), nil)
	tok := w.tok(ordOp1)
	for _, path := range []string{"/v1/me", "/v1/orders", "/v1/admin/webhooks", "/v1/me/inbox"} {
		relProblem(t, w.s.Do("GET", path+"?access_token="+tok, "", nil), 401, model.CodeUnauthenticated)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", w.s.URL+"/v1/events?access_token="+tok, nil)
	res, err := w.s.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Errorf("SSE with ?access_token=: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

// Issue 10, defect 9: appointments and new times 10 years ahead or at 9999-12-31, and a bulk
// cancellation over 100 years, were accepted. The policy bounds them.
func TestIssue10DatesAreBounded(t *testing.T) {
	t.Parallel()
	w := relWorld(t, storetest.SQLitePath(t), nil)
	tok := w.tok(ordCustomer)
	for _, at := range []time.Time{ordT0.Add(10 * 365 * 24 * time.Hour), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), ordT0.Add(181 * 24 * time.Hour)} {
		r := w.s.Do("POST", "/v1/orders", tok, map[string]any{"service_item_id": ordItem, "address": "a", "appointment_at": at.Format(time.RFC3339)})
		relProblem(t, r, 400, model.CodeInvalid)
		if !strings.Contains(string(r.Body), "appointment_at") {
			t.Errorf("refusal does not name appointment_at: %s", r)
		}
	}
	id := w.book(ordT0.Add(179 * 24 * time.Hour)) // within the bound
	r := w.s.Do("POST", "/v1/orders/"+id+"/time-changes", tok, map[string]any{"new_time": "9999-12-31T00:00:00Z", "reason": "later"})
	relProblem(t, r, 400, model.CodeInvalid)
	r = w.as(ordOp1, "POST", "/v1/orders/cancel-bulk", map[string]any{"area": ordArea, "from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z", "reason": "typhoon"})
	relProblem(t, r, 400, model.CodeInvalid)
	if r := w.as(ordOp1, "POST", "/v1/orders/cancel-bulk", map[string]any{"area": ordArea, "from": ordT0.Format(time.RFC3339), "to": ordT0.Add(7 * 24 * time.Hour).Format(time.RFC3339), "reason": "typhoon"}); r.Status != 200 {
		t.Errorf("a week's bulk cancellation: %s", r)
	}
}

// Issue 10, defect 5: one customer created 194 bookings/s and 136-160 worker-change requests a
// second on one order, each telling every operator. Per-person token buckets answer 429
// rate_limited with Retry-After, tighter on requests that notify others; one open worker change
// per order.
func TestIssue10RateLimits(t *testing.T) {
	t.Parallel()
	w := relWorld(t, storetest.SQLitePath(t), func(c *config.Config) {
		c.RateCreatePerMinute, c.RateCreateBurst = 6, 3 // a token every 10 s
		c.RateNotifyPerMinute, c.RateNotifyBurst = 2, 1 // a token every 30 s
	})
	tok := w.tok(ordCustomer)
	at := ordT0.Add(48 * time.Hour).Format(time.RFC3339)
	book := func() *apptest.Response {
		return w.s.Do("POST", "/v1/orders", tok, map[string]any{"service_item_id": ordItem, "address": "a", "appointment_at": at})
	}
	var ids []string
	for range 3 {
		r := book()
		if r.Status != 201 {
			t.Fatalf("within the burst: %s", r)
		}
		ids = append(ids, r.Str("id"))
	}
	r := book()
	relProblem(t, r, 429, model.CodeRateLimited)
	if r.Header.Get("Retry-After") != "10" {
		t.Errorf("Retry-After %q, want 10", r.Header.Get("Retry-After"))
	}
	// The platform's backend is not limited; other people have their own buckets.
	for range 5 {
		if r := w.as("platform", "POST", "/v1/orders", map[string]any{"customer_id": ordCustomer, "service_item_id": ordItem, "address": "a", "appointment_at": at}); r.Status != 201 {
			t.Fatalf("platform: %s", r)
		}
	}
	w.clk.Add(10 * time.Second)
	if r := book(); r.Status != 201 {
		t.Errorf("after the refill: %s", r)
	}
	// Notifying requests: the tighter bucket. One worker change is open per order.
	w.clk.Add(time.Minute)
	w.want(w.as(ordW1, "POST", "/v1/orders/"+ids[0]+"/accept", nil), 200)
	w.want(w.s.Do("POST", "/v1/orders/"+ids[0]+"/worker-changes", tok, map[string]any{"reason": "换人"}), 201)
	w.clk.Add(time.Minute)
	w.want(w.s.Do("POST", "/v1/orders/"+ids[0]+"/worker-changes", tok, map[string]any{"reason": "再换"}), 201) // replaces the open one
	w.clk.Add(time.Minute)
	w.want(w.s.Do("POST", "/v1/orders/"+ids[1]+"/cancel", tok, map[string]any{"reason": "不要了"}), 200)
	relProblem(t, w.s.Do("POST", "/v1/orders/"+ids[2]+"/cancel", tok, map[string]any{"reason": "不要了"}), 429, model.CodeRateLimited)
	if n := len(w.inbox(ordOp1, "worker.change_requested")); n != 1 {
		t.Errorf("operator told %d times of worker changes on one order, want 1 (one open request per order)", n)
	}
}
