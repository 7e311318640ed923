package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store/storetest"
)

// E3, force majeure in bulk (#16): a large bulk cancellation commits in chunks (16 orders, then
// 32, 64, 128, 200 …), each order wholly in one chunk. A chunk that fails leaves the chunks
// before it cancelled and told, and nothing of its own; the retry cancels the rest and tells
// nobody twice. Everyone concerned is told once: customer, worker (if any), every operator.
func TestE3BulkCancellationCommitsInChunks(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		ctx := context.Background()
		const n = 250
		from := ordT0.Add(100 * time.Hour)
		ids := make([]string, n)
		orders := make([]*model.Order, n)
		for i := range n {
			o := model.Order{CustomerID: ordCustomer, ServiceItemID: ordItem, Address: "浦东新区 XX 路 12 号", Area: ordArea,
				AppointmentAt: from.Add(time.Duration(i) * time.Minute), AmountPaidCents: 15000, Status: model.OrderPending}
			if i%5 == 0 {
				o.WorkerID, o.Status = ordW2, model.OrderAccepted
			}
			orders[i] = &o
		}
		w.s.World().At(ordT0).Orders(orders...)
		for i, o := range orders {
			ids[i] = o.ID
		}
		// Two orders with something open when the storm comes (both in the first chunk): a time
		// change the customer asked of the worker, and a late cancellation awaiting an operator.
		w.clk.Set(from.Add(-time.Hour))
		if r := w.as(ordCustomer, "POST", "/v1/orders/"+ids[5]+"/time-changes", map[string]any{"new_time": from.Add(30 * time.Hour).Format(time.RFC3339), "reason": "出差"}); r.Status >= 300 {
			t.Fatalf("time change: %s", r)
		}
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+ids[10]+"/cancel", map[string]any{"reason": "不需要了"}), 202)
		body := map[string]any{"area": ordArea, "from": from.Format(time.RFC3339), "to": from.Add(n * time.Minute).Format(time.RFC3339), "reason": "台风"}

		// The third chunk fails: 16 + 32 orders are cancelled and told, the rest untouched.
		var chunks atomic.Int32
		w.s.App.Booking.SetFailpoint(func(action string) error {
			if action == "cancel_bulk" && chunks.Add(1) == 3 {
				return errors.New("injected failure in the third chunk")
			}
			return nil
		})
		if r := w.as(ordOp1, "POST", "/v1/orders/cancel-bulk", body); r.Status != 500 {
			t.Fatalf("bulk with a failing chunk: %s", r)
		}
		w.s.App.Booking.SetFailpoint(nil)
		for i, id := range ids {
			if o := w.order(id); (o.Status == model.OrderCancelled) != (i < 48) {
				t.Fatalf("order %d is %s after the failed third chunk", i, o.Status)
			}
		}
		if got := len(w.inbox(ordCustomer, notify.KindOrderCancelled)); got != 48 {
			t.Fatalf("customer told of %d cancellations, want 48", got)
		}

		v := w.want(w.as(ordCustomer, "GET", "/v1/orders/"+ids[5], nil), 200)
		if v.JSON["pending_change"] != nil || v.JSON["status"] != "cancelled" {
			t.Errorf("order with a time change after the bulk cancellation: %s", v)
		}
		v = w.want(w.as(ordOp1, "GET", "/v1/orders/"+ids[10], nil), 200)
		if c, _ := v.JSON["cancellation"].(map[string]any); c == nil || c["force_majeure"] != true || c["status"] != "approved" {
			t.Errorf("order with a late cancellation: %s", v)
		}
		if ap := w.want(w.as(ordOp1, "GET", "/v1/approvals", nil), 200); len(ap.JSON["cancellations"].([]any)) != 0 || len(ap.JSON["time_changes"].([]any)) != 0 {
			t.Errorf("approvals still wait after the bulk cancellation: %s", ap)
		}

		// The retry cancels the rest; the first 48 are reported as skipped.
		r := w.want(w.as(ordOp1, "POST", "/v1/orders/cancel-bulk", body), 200)
		if c, s := r.JSON["cancelled"].([]any), r.JSON["skipped"].([]any); len(c) != n-48 || len(s) != 48 || c[0] != ids[48] || s[0] != ids[0] {
			t.Fatalf("retry: cancelled %d, skipped %d: %.300s", len(c), len(s), r)
		}
		for _, id := range ids {
			if o := w.order(id); o.Status != model.OrderCancelled {
				t.Fatalf("order %s is %s after the retry", id, o.Status)
			}
		}
		// Everyone is told once per order: the customer of all, the worker of theirs, each operator of all.
		perOrder := func(who string) map[string]int {
			m := map[string]int{}
			for _, x := range w.inbox(who, notify.KindOrderCancelled) {
				m[x.OrderID]++
			}
			return m
		}
		cust, worker, op := perOrder(ordCustomer), perOrder(ordW2), perOrder(ordOp2)
		for i, id := range ids {
			wantWorker := 0
			if i%5 == 0 {
				wantWorker = 1
			}
			if cust[id] != 1 || op[id] != 1 || worker[id] != wantWorker {
				t.Fatalf("order %d told customer %d, operator %d, worker %d times", i, cust[id], op[id], worker[id])
			}
		}
		n0 := w.one(ordCustomer, notify.KindOrderCancelled, ids[100])
		ordContains(t, "bulk", n0.Body, "台风", "¥150.00")
		if d := ordData(t, n0); d["force_majeure"] != true || d["order_id"] != ids[100] {
			t.Errorf("data: %v", d)
		}
		// The customer's event log: one entry per notification, consecutive seqs.
		evs, err := w.s.Store.EventsAfter(ctx, ordCustomer, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		told := 0
		for i, e := range evs {
			if e.Seq != int64(i+1) {
				t.Fatalf("event %d has seq %d", i, e.Seq)
			}
			if e.Type == model.EventNotification {
				told++
			}
		}
		// One per cancellation, and the notice that the customer's time change (close to the
		// appointment) went to the platform for approval.
		if told != n+1 {
			t.Fatalf("customer's log has %d notification entries, want %d", told, n+1)
		}
	})
}

// E3, force majeure in bulk (#15): before confirming, the operator sees what a bulk cancellation
// would cancel — how many active orders, which (by appointment), how many of the range's orders
// have ended — and asking changes nothing and tells nobody.
func TestE3BulkCancellationPreview(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		first := w.bookAccepted(ordT0.Add(50 * time.Hour))
		second := w.book(ordT0.Add(52 * time.Hour))
		gone := w.book(ordT0.Add(51 * time.Hour))
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+gone+"/cancel", map[string]any{"reason": "不需要了"}), 200)
		later := w.book(ordT0.Add(120 * time.Hour)) // outside the range
		w.s.RunJobs(t)
		before := w.want(w.as(ordCustomer, "GET", "/v1/me/inbox/unread", nil), 200).String()

		q := "/v1/orders/cancel-bulk/preview?area=" + url.QueryEscape(ordArea) + "&from=" + ordT0.Add(48*time.Hour).Format(time.RFC3339) +
			"&to=" + ordT0.Add(72*time.Hour).Format(time.RFC3339)
		r := w.want(w.as(ordOp1, "GET", q, nil), 200)
		var p struct {
			Count   int `json:"count"`
			Skipped int `json:"skipped"`
			Orders  []struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"orders"`
		}
		r.Decode(t, &p)
		if p.Count != 2 || p.Skipped != 1 || len(p.Orders) != 2 || p.Orders[0].ID != first || p.Orders[1].ID != second ||
			p.Orders[0].Status != "accepted" || p.Orders[1].Status != "pending" {
			t.Fatalf("preview %s, want %s (accepted) and %s (pending), one skipped", r, first, second)
		}
		// Nothing changed, nobody was told.
		for _, id := range []string{first, second, later} {
			if st := w.want(w.as(ordOp1, "GET", "/v1/orders/"+id, nil), 200).Str("status"); st == "cancelled" {
				t.Fatalf("the preview cancelled %s", id)
			}
		}
		w.s.RunJobs(t)
		if after := w.want(w.as(ordCustomer, "GET", "/v1/me/inbox/unread", nil), 200).String(); after != before {
			t.Fatalf("unread changed by a preview: %s → %s", before, after)
		}
		// Only operators ask; the range is bounded and required.
		wantProblem(t, w.as(ordCustomer, "GET", q, nil), 403, model.CodeForbidden)
		wantProblem(t, w.as(ordOp1, "GET", "/v1/orders/cancel-bulk/preview?area="+url.QueryEscape(ordArea), nil), 400, model.CodeInvalid)
		wantProblem(t, w.as(ordOp1, "GET", "/v1/orders/cancel-bulk/preview?area="+url.QueryEscape(ordArea)+"&from="+ordT0.Format(time.RFC3339)+
			"&to="+ordT0.AddDate(1, 0, 0).Format(time.RFC3339), nil), 400, model.CodeInvalid)
	})
}

// X1 with E3 (#16): a bulk cancellation's chunks tell several people at once, and the hub reads
// all their unread counts together (hub.Options.UnreadMany) instead of each stream reading its
// own. What every stream receives is unchanged: each entry once, in seq order, no gap, and after
// the last one an unread.changed whose counts are the message center's (campaigns included).
func TestX1BulkCancellationStreamsEntriesThenTheirCounts(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		const n = 60 // chunks of 16 and 44
		from := ordT0.Add(100 * time.Hour)
		orders := make([]*model.Order, n)
		for i := range n {
			o := model.Order{CustomerID: ordCustomer, ServiceItemID: ordItem, Address: "浦东新区 XX 路 12 号", Area: ordArea,
				AppointmentAt: from.Add(time.Duration(i) * time.Minute), AmountPaidCents: 15000, Status: model.OrderPending}
			if i%3 == 0 {
				o.WorkerID, o.Status = ordW2, model.OrderAccepted
			}
			orders[i] = &o
		}
		w.s.World().At(ordT0).Orders(orders...)
		// Some unread before, some read: the counts are the message center's, not the bulk's.
		tellPerson(t, w.s, ordCustomer, "m1", "你好")
		tellPerson(t, w.s, ordOp2, "m2", "你好")
		w.want(w.as(ordOp2, "POST", "/v1/me/inbox/read", map[string]any{"all": true}), 200)
		people := []string{ordCustomer, ordW2, ordOp2}
		streams := make([]*wsStream, len(people))
		for i, p := range people {
			ws, err := dialWS(ctx, w.s, w.tok(p), -1, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.c.CloseNow()
			ws.unread = true
			if ev, err := ws.next(ctx); err != nil || ev.Type != model.EventUnread {
				t.Fatalf("%s: first frame %+v (%v), want the counts", p, ev, err)
			}
			streams[i] = ws
		}
		starts := map[string]int64{}
		for _, p := range people {
			last, err := w.s.Store.LastSeq(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			starts[p] = last
		}
		body := map[string]any{"area": ordArea, "from": from.Format(time.RFC3339), "to": from.Add(n * time.Minute).Format(time.RFC3339), "reason": "台风"}
		w.want(w.as(ordOp1, "POST", "/v1/orders/cancel-bulk", body), 200)
		for i, p := range people {
			last, err := w.s.Store.LastSeq(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if last == starts[p] {
				t.Fatalf("%s was told nothing", p)
			}
			seq, counted := starts[p], false
			for seq < last || !counted {
				ev, err := streams[i].next(ctx)
				if err != nil {
					t.Fatalf("%s: after seq %d of %d: %v", p, seq, last, err)
				}
				if ev.Type == model.EventUnread {
					counted = seq == last
					if counted {
						rest := w.want(w.as(p, "GET", "/v1/me/inbox/unread", nil), 200)
						var got, want notify.UnreadCounts
						if err := json.Unmarshal(ev.Data, &got); err != nil {
							t.Fatal(err)
						}
						if err := json.Unmarshal(rest.Body, &want); err != nil {
							t.Fatal(err)
						}
						if !reflect.DeepEqual(got, want) {
							t.Errorf("%s: last counts %+v, the message center says %+v", p, got, want)
						}
					}
					continue
				}
				if ev.Seq != seq+1 {
					t.Fatalf("%s: entry %d (%s) after %d: want each entry once, in order", p, ev.Seq, ev.Type, seq)
				}
				seq = ev.Seq
			}
		}
	})
}
