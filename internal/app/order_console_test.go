package app_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
)

// orderList is what GET /v1/orders answers, decoded.
type orderList struct {
	Items []struct {
		ID            string    `json:"id"`
		Status        string    `json:"status"`
		AppointmentAt time.Time `json:"appointment_at"`
	} `json:"items"`
	NextCursor string         `json:"next_cursor"`
	Counts     map[string]int `json:"counts"`
}

func (l orderList) ids() []string {
	var out []string
	for _, o := range l.Items {
		out = append(out, o.ID)
	}
	return out
}

// TestConsoleOrderListFiltersSearchSortAndPages: the operators' console lists every order with
// status counts for its tabs, searches by order id, customer, worker and address, filters by
// status, service item, area and appointment range, sorts by appointment both ways and pages by
// cursor without repeating or losing an order; customers and workers still see only their own;
// bad parameters are refused naming the field (issue 15, the operator's console).
func TestConsoleOrderListFiltersSearchSortAndPages(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		ctx := context.Background()
		w.people(model.Person{ID: "c-chen", Role: model.RoleCustomer, Name: "陈Amy", Area: "静安区"})
		if err := w.s.Store.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.UpsertServiceItem(ctx, &model.ServiceItem{ID: "deep-cleaning", Name: model.Text{ZH: "深度保洁", EN: "Deep cleaning"},
				DurationMinutes: 240, PriceCents: 30000, Active: true}, w.s.App.Now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		book := func(customer, item, area, address string, in time.Duration) string {
			t.Helper()
			return w.want(w.as("platform", "POST", "/v1/orders", map[string]any{"customer_id": customer, "service_item_id": item,
				"area": area, "address": address, "appointment_at": ordT0.Add(in).Format(time.RFC3339)}), 201).Str("id")
		}
		o1 := book(ordCustomer, ordItem, ordArea, "浦东新区 XX 路 12 号", 24*time.Hour)
		w.want(w.as(ordW1, "POST", "/v1/orders/"+o1+"/accept", nil), 200)
		o2 := book(ordCustomer, ordItem, ordArea, "浦东新区 YY 路 3 号", 48*time.Hour)
		o3 := book("c-chen", "deep-cleaning", "静安区", "静安区 Nanjing West Road 88", 72*time.Hour)
		w.want(w.as(ordOp1, "POST", "/v1/orders/"+o3+"/assign", map[string]any{"worker_id": ordW2}), 200)
		w.want(w.as(ordOp1, "POST", "/v1/orders/"+o3+"/cancel", map[string]any{"reason": "客户来电取消"}), 200)
		o4 := book("c-chen", ordItem, "静安区", "静安区 50%折扣路 1 号", 30*time.Hour)

		list := func(who string, q url.Values) orderList {
			t.Helper()
			var l orderList
			w.want(w.as(who, "GET", "/v1/orders?"+q.Encode(), nil), 200).Decode(t, &l)
			return l
		}
		same := func(what string, got []string, want ...string) {
			t.Helper()
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s: got %v, want %v", what, got, want)
			}
		}
		all := list(ordOp1, url.Values{"counts": {"true"}})
		same("everything, newest first", all.ids(), o4, o3, o2, o1)
		if c := all.Counts; c["pending"] != 2 || c["accepted"] != 1 || c["cancelled"] != 1 || c["completed"] != 0 || c["in_service"] != 0 || len(c) != 5 {
			t.Errorf("counts = %v, want pending 2, accepted 1, cancelled 1, every status present", c)
		}
		if l := list(ordOp1, nil); l.Counts != nil {
			t.Errorf("counts without counts=true: %v", l.Counts)
		}
		same("status=pending", list(ordOp1, url.Values{"status": {"pending"}}).ids(), o4, o2)

		// Search: the order id, a worker's and a customer's name or id, a part of the address.
		same("q=order id", list(ordOp1, url.Values{"q": {o1}}).ids(), o1)
		same("q=worker name", list(ordOp1, url.Values{"q": {"王阿姨"}}).ids(), o1)
		same("q=customer name part", list(ordOp1, url.Values{"q": {"陈"}}).ids(), o4, o3)
		same("q=customer name, any case", list(ordOp1, url.Values{"q": {"amy"}}).ids(), o4, o3)
		same("q=customer id", list(ordOp1, url.Values{"q": {ordCustomer}}).ids(), o2, o1)
		same("q=worker id", list(ordOp1, url.Values{"q": {ordW2}}).ids(), o3)
		same("q=address part, any case", list(ordOp1, url.Values{"q": {"nanjing west"}}).ids(), o3)
		same("q=% is a character, not a wildcard", list(ordOp1, url.Values{"q": {"50%"}}).ids(), o4)
		same("q=nothing matches", list(ordOp1, url.Values{"q": {"不存在的地址"}}).ids())

		// Filters, with counts that follow them (but not the status tab).
		same("service_item_id", list(ordOp1, url.Values{"service_item_id": {"deep-cleaning"}}).ids(), o3)
		jingan := list(ordOp1, url.Values{"area": {"静安区"}, "status": {"pending"}, "counts": {"true"}})
		same("area + status", jingan.ids(), o4)
		if c := jingan.Counts; c["pending"] != 1 || c["cancelled"] != 1 || c["accepted"] != 0 {
			t.Errorf("counts in 静安区 = %v, want pending 1, cancelled 1 (the status tab does not narrow them)", c)
		}
		same("appointment in [25h, 50h)", list(ordOp1, url.Values{"from": {ordT0.Add(25 * time.Hour).Format(time.RFC3339)},
			"to": {ordT0.Add(50 * time.Hour).Format(time.RFC3339)}, "sort": {"appointment"}}).ids(), o4, o2)

		// Sort by appointment, both ways, paged by cursor.
		for _, c := range []struct {
			sort string
			want []string
		}{{"appointment", []string{o1, o4, o2, o3}}, {"-appointment", []string{o3, o2, o4, o1}}, {"-created", []string{o4, o3, o2, o1}}} {
			var got []string
			q := url.Values{"sort": {c.sort}, "limit": {"3"}}
			for pages := 0; ; pages++ {
				if pages > 3 {
					t.Fatalf("sort=%s: the cursor does not end", c.sort)
				}
				l := list(ordOp1, q)
				got = append(got, l.ids()...)
				if l.NextCursor == "" {
					break
				}
				q.Set("cursor", l.NextCursor)
			}
			same("sort="+c.sort+" in pages of 3", got, c.want...)
		}

		// People see their own orders only, with the same tools.
		mine := list(ordCustomer, url.Values{"counts": {"true"}, "sort": {"appointment"}})
		same("the customer's own", mine.ids(), o1, o2)
		if mine.Counts["pending"] != 1 || mine.Counts["accepted"] != 1 || mine.Counts["cancelled"] != 0 {
			t.Errorf("the customer's counts = %v", mine.Counts)
		}
		same("the customer searching another's order", list(ordCustomer, url.Values{"q": {o3}}).ids())
		same("the worker's own", list(ordW1, url.Values{"q": {"浦东"}}).ids(), o1)

		// Bad parameters: 400 invalid naming the field.
		for field, q := range map[string]string{
			"sort":   "sort=price",
			"from":   "from=tomorrow",
			"to":     "from=" + url.QueryEscape(ordT0.Format(time.RFC3339)) + "&to=" + url.QueryEscape(ordT0.Add(-time.Hour).Format(time.RFC3339)),
			"q":      "q=" + strings.Repeat("长", 101),
			"cursor": "sort=appointment&cursor=" + o1,
			"counts": "counts=maybe",
			"status": "status=lost",
			"limit":  "limit=0",
		} {
			r := w.as(ordOp1, "GET", "/v1/orders?"+q, nil)
			if r.Status != 400 || r.Code() != string(model.CodeInvalid) || !strings.Contains(r.String(), `"`+field+`"`) {
				t.Errorf("GET /v1/orders?%s: want 400 invalid naming %s, got %s", q, field, r)
			}
		}
	})
}
