package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/homebell/homebell/internal/model"
)

// FuzzDecodeJSON: whatever a client sends, decoding a request body answers a problem with a 4xx
// code or a value — never a panic, never an internal error — and a decoded value holds no
// control character but newline, tab and CR (issue 10, defect 3).
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"service_item_id":"daily-cleaning","address":"a","appointment_at":"2026-03-02T09:00:00+08:00"}`,
		`{"address":"a\u0000b"}`, `{"address":"\\u0000"}`, "{\"address\":\"\xff\"}", `{"amount_paid_cents":1e309}`,
		`{"amount_paid_cents":"x"}`, `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`, `{} {}`, ``, `{"x":1}`,
		`{"requirements":"line\nline\t2"}`, `{"address":"\u007f"}`, `{"address":"a\fb"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var in orderInput
		r := httptest.NewRequest("POST", "/v1/orders", strings.NewReader(body))
		err := decodeJSON(httptest.NewRecorder(), r, 1<<20, &in)
		if err != nil {
			if c := model.ErrorCode(err); c.Status() >= 500 || c.Status() < 400 {
				t.Fatalf("%q: %v (status %d)", body, err, c.Status())
			}
			return
		}
		for _, s := range []string{in.CustomerID, in.ServiceItemID, in.Address, in.Area, in.AppointmentAt, in.Requirements} {
			if err := model.CheckText("field", s, true); err != nil {
				t.Fatalf("%q decoded to %q: %v", body, s, err)
			}
		}
	})
}

// FuzzCheckURL: paths and queries with any bytes are refused with 400 or pass clean.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"/v1/orders/abc", "/v1/orders/a%00b", "/v1/me/inbox?q=%01", "/v1/orders?cursor=%ff%fe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		r, err := http.NewRequest("GET", "http://x"+target, nil)
		if err != nil {
			return
		}
		if err := checkURL(r); err != nil && model.ErrorCode(err) != model.CodeInvalid {
			t.Fatalf("%q: %v", target, err)
		}
	})
}
