package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store/storetest"
)

// E3, refund handling (#11): the product note says the customer, the worker and the platform's
// operators are all told how the refund is handled, including when it arrives — the worker's and
// operators' notices carry the same expected date as the customer's.
func TestE3RefundTimingToldToEveryone(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		id := w.bookAccepted(ordT0.Add(72 * time.Hour))
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+id+"/cancel", map[string]any{"reason": "临时出差"}), 200)
		w.s.RunJobs(t)
		mine := w.one(ordCustomer, notify.KindOrderCancelled, id).Body
		_, rest, ok := strings.Cut(mine, "预计 ")
		eta, _, ok2 := strings.Cut(rest, " 前到账")
		if !ok || !ok2 || eta == "" {
			t.Fatalf("the customer's notice has no expected date: %q", mine)
		}
		for _, who := range []string{ordW1, ordOp1, ordOp2} {
			body := w.one(who, notify.KindOrderCancelled, id).Body
			if !strings.Contains(body, "¥150.00") || !strings.Contains(body, "预计 "+eta+" 前到账") {
				t.Errorf("%s is told %q, want the refund and its expected date %q", who, body, eta)
			}
		}
	})
}
