package app_test

import (
	"testing"
	"time"

	"github.com/homebell/homebell/internal/store/storetest"
)

// approvals is what GET /v1/approvals answers, decoded.
type approvals struct {
	WorkerChanges []struct {
		ID          string `json:"id"`
		OrderID     string `json:"order_id"`
		RequesterID string `json:"requester_id"`
		Reason      string `json:"reason"`
	} `json:"worker_changes"`
}

// TestE2WorkerChangeRequestWaitsInApprovals: a customer's request for another worker waits in
// the operators' approvals and on the order's page until an operator reassigns the order; a
// second request replaces the first rather than adding one; the worker does not see it; a
// cancelled order's request is gone (E2; issue 15 item 6).
func TestE2WorkerChangeRequestWaitsInApprovals(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		id := w.bookAccepted(ordT0.Add(48 * time.Hour))
		other := w.bookAccepted(ordT0.Add(72 * time.Hour))
		list := func() approvals {
			var a approvals
			w.want(w.as(ordOp1, "GET", "/v1/approvals", nil), 200).Decode(t, &a)
			return a
		}
		if a := list(); len(a.WorkerChanges) != 0 {
			t.Fatalf("approvals before any request: %+v", a)
		}
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+id+"/worker-changes", map[string]any{"reason": "希望换一位师傅"}), 201)
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+id+"/worker-changes", map[string]any{"reason": "还是想换"}), 201)
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+other+"/worker-changes", map[string]any{"reason": "时间不合适"}), 201)
		a := list()
		if len(a.WorkerChanges) != 2 || a.WorkerChanges[0].OrderID != id || a.WorkerChanges[0].Reason != "还是想换" ||
			a.WorkerChanges[0].RequesterID != ordCustomer || a.WorkerChanges[1].OrderID != other {
			t.Fatalf("approvals after requests: %+v", a)
		}
		o := w.want(w.as(ordCustomer, "GET", "/v1/orders/"+id, nil), 200)
		if pw, _ := o.JSON["pending_worker_change"].(map[string]any); pw["reason"] != "还是想换" {
			t.Errorf("the customer's order page does not show the pending request: %s", o)
		}
		if o := w.want(w.as(ordW1, "GET", "/v1/orders/"+id, nil), 200); o.JSON["pending_worker_change"] != nil {
			t.Errorf("the worker sees the customer's request to replace them: %s", o)
		}

		// Reassigned: settled. Cancelled: gone.
		w.want(w.as(ordOp1, "POST", "/v1/orders/"+id+"/assign", map[string]any{"worker_id": ordW2, "reason": "客户要求更换"}), 200)
		w.want(w.as(ordOp1, "POST", "/v1/orders/"+other+"/cancel", map[string]any{"reason": "台风"}), 200)
		if a := list(); len(a.WorkerChanges) != 0 {
			t.Errorf("settled requests still wait: %+v", a)
		}
		if o := w.want(w.as(ordCustomer, "GET", "/v1/orders/"+id, nil), 200); o.JSON["pending_worker_change"] != nil {
			t.Errorf("a settled request still shows on the order: %s", o)
		}
	})
}
