package app_test

import (
	"slices"
	"testing"

	"github.com/homebell/homebell/internal/store/storetest"
)

// TestX6ValidationNamesEveryField: a 400 names every bad field of the body at once — unknown
// members, members of the wrong type and the input's own rules together — so a client fixes a
// request in one round, as docs/api.md promises (issue #11: an unknown member used to hide a
// missing name, a malformed time a missing address).
func TestX6ValidationNamesEveryField(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		cust := w.tok(ordCustomer)
		op := w.tok(ordOp1)
		cases := []struct {
			name, method, path, token string
			body                      string
			want                      []string
		}{
			{"person: unknown member and missing name", "PUT", "/v1/people/c-new", w.key,
				`{"nme":"小王","role":"customer"}`, []string{"name", "nme"}},
			{"person: every rule at once", "PUT", "/v1/people/c-new", w.key,
				`{"role":"boss","name":"","time_zone":"Mars/Olympus","phone":"` + longString(40) + `"}`,
				[]string{"name", "phone", "role", "time_zone"}},
			{"order: malformed time and no address", "POST", "/v1/orders", cust,
				`{"service_item_id":"` + ordItem + `","appointment_at":"tomorrow 3pm"}`, []string{"address", "appointment_at"}},
			{"order: wrong types and unknown members", "POST", "/v1/orders", cust,
				`{"service_item_id":5,"address":["a"],"appointment_at":"2030-01-01T09:00:00+08:00","tip":5,"coupon":"X"}`,
				[]string{"address", "coupon", "service_item_id", "tip"}},
			{"service item: type, rule, unknown and missing", "PUT", "/v1/service-items/deep-clean", op,
				`{"duration_minutes":"ninety","price_cents":-1,"colour":"red"}`,
				[]string{"colour", "duration_minutes", "name", "price_cents"}},
		}
		for _, c := range cases {
			r := w.s.DoWith(c.method, c.path, c.token, c.body, nil)
			if r.Status != 400 || r.Code() != "invalid" {
				t.Errorf("%s: %d %s, want 400 invalid", c.name, r.Status, r.Body)
				continue
			}
			if got := problemFields(r); !slices.Equal(got, c.want) {
				t.Errorf("%s: the problem names %v, want %v\n%s", c.name, got, c.want, r.Body)
			}
		}
		// Nothing was written by any of them.
		if r := w.s.Do("GET", "/v1/people/c-new", w.key, nil); r.Status != 404 {
			t.Errorf("a refused person was stored: %d %s", r.Status, r.Body)
		}
	})
}

func longString(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '1'
	}
	return string(b)
}
