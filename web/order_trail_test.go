package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/config"
	"github.com/homebell/homebell/internal/model"
)

// TestX4BrowserOperatorOrderPageWithAuditTrail: on a desktop the operator's order page shows the
// order and its actions beside its full audit trail — every transition with who did it, every
// notification with its recipient and channels — and the off-app deliveries (a webhook here);
// a cancellation made elsewhere joins the trail live. zh-CN and en, axe clean (X4; issue 15).
func TestX4BrowserOperatorOrderPageWithAuditTrail(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(hook.Close)
	s := newStage(t, apptest.Options{Demo: true, Config: func(c *config.Config) { c.WebhookAllowPrivate = "127.0.0.0/8" }})
	op := s.srv.Token("o-zhou", model.RoleOperator)
	if r := s.srv.Do("POST", "/v1/admin/webhooks", op, map[string]any{"url": hook.URL + "/hook", "kinds": []string{"order.accepted"}, "description": "CRM"}); r.Status != 201 {
		t.Fatalf("webhook: %s", r)
	}
	at := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	id := s.order("c-lin", "w-wang", "deep-cleaning", at)
	r := s.srv.Do("POST", "/v1/orders/"+id+"/time-changes", s.srv.Token("w-wang", model.RoleWorker),
		map[string]any{"new_time": at.Add(2 * time.Hour).UTC().Format(time.RFC3339), "reason": "上午有培训"})
	if r.Status != 201 {
		t.Fatalf("time change: %s", r)
	}
	if r := s.srv.Do("POST", "/v1/orders/"+id+"/time-changes/"+r.Str("id")+"/accept", s.srv.Token("c-lin", model.RoleCustomer), nil); r.Status != 200 {
		t.Fatalf("accept the change: %s", r)
	}

	o := s.signIn("o-zhou")
	o.do(chromedp.EmulateViewport(1280, 800))
	o.openOrder(id)
	trail := "#order-trail #timeline"
	for _, ev := range []string{"下单", "已接单", "申请改期", "服务改期"} {
		o.waitText(trail+" .tl-transition", ev)
	}
	o.waitText(trail+" .tl-transition", "王阿姨")
	o.waitText(trail+" .tl-transition", "上午有培训")
	o.waitText(trail+" .tl-notification", "→ 林晓")
	o.waitText(trail+" .tl-notification", "消息中心")
	o.waitJS(`document.querySelector('#order-deliveries .delivery[data-state="sent"]')`, "the webhook delivery in the delivery log")
	o.waitText("#order-deliveries", "order.accepted")
	o.waitJS(`(() => { const a = document.querySelector('#order-detail > .col').getBoundingClientRect(), b = document.querySelector('#order-trail').getBoundingClientRect();
		return b.left >= a.right - 1 && Math.abs(b.top - a.top) < 4; })()`, "the audit trail beside the order, not below it")
	o.axe("operator order page with its audit trail (desktop, zh-CN)")
	o.quietShot("25-operator-order-audit-trail")

	// A cancellation made elsewhere joins the trail live.
	if r := s.srv.Do("POST", "/v1/orders/"+id+"/cancel", s.srv.Token("c-lin", model.RoleCustomer), map[string]any{"reason": "临时出差"}); r.Status != 200 {
		t.Fatalf("cancel: %s", r)
	}
	o.waitText(trail+" .tl-transition", "订单取消")
	o.waitText(trail+" .tl-transition", "临时出差")
	o.waitText("#order-detail .status", "已取消")

	o.click("#lang")
	o.waitText(trail+" .tl-transition", "Booked")
	o.waitText(trail+" .tl-notification", "message center")
	o.axe("operator order page with its audit trail (desktop, en)")
	o.quietShot("25-operator-order-audit-trail-en")
	o.sameDocument()
	o.clean()
}

// TestS2BrowserPlannedDeliveryOnTheOrderPage: a delivery held for the customer's receiving window
// is on the operator's order page from the moment the order is accepted — queued, with the time it
// is planned to go — on a phone and on a desktop, in zh-CN and en, axe clean (S2, #11).
func TestS2BrowserPlannedDeliveryOnTheOrderPage(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(hook.Close)
	s := newStage(t, apptest.Options{Demo: true, Config: func(c *config.Config) { c.WebhookAllowPrivate = "127.0.0.0/8" }})
	op := s.srv.Token("o-zhou", model.RoleOperator)
	if r := s.srv.Do("POST", "/v1/admin/webhooks", op, map[string]any{"url": hook.URL + "/hook", "kinds": []string{"order.accepted"}, "description": "CRM"}); r.Status != 201 {
		t.Fatalf("webhook: %s", r)
	}
	// The customer's receiving window opens in an hour (Shanghai wall clock).
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	opens := time.Now().In(shanghai).Truncate(time.Minute).Add(61 * time.Minute)
	ct := s.srv.Token("c-lin", model.RoleCustomer)
	prefs := s.srv.Do("GET", "/v1/me/preferences", ct, nil)
	if prefs.Status != 200 {
		t.Fatalf("preferences: %s", prefs)
	}
	prefs.JSON["window"] = map[string]any{"start": opens.Format("15:04"), "end": opens.Add(time.Hour).Format("15:04")}
	if r := s.srv.Do("PUT", "/v1/me/preferences", ct, prefs.JSON); r.Status != 200 {
		t.Fatalf("put preferences: %s", r)
	}
	id := s.order("c-lin", "w-wang", "deep-cleaning", time.Now().Add(72*time.Hour).Truncate(time.Hour))

	o := s.signIn("o-zhou")
	o.openOrder(id)
	planned := `#order-deliveries .delivery[data-state="queued"] .delivery-planned`
	o.waitJS(`document.querySelector('`+planned+`')`, "the held delivery, queued, on the order page")
	o.waitText("#order-deliveries .delivery[data-state=\"queued\"]", "order.accepted")
	o.waitText(planned, "计划于")
	o.waitText(planned, opens.Format("15:04"))
	o.axe("operator order page with a planned delivery (phone, zh-CN)")
	o.do(chromedp.EmulateViewport(1280, 800))
	o.waitJS(`document.querySelector('`+planned+`').getBoundingClientRect().width > 0`, "the planned time on a desktop")
	o.axe("operator order page with a planned delivery (desktop, zh-CN)")
	o.quietShot("s2-planned-delivery")
	o.click("#lang")
	o.waitText(planned, "planned for")
	o.waitText(planned, opens.Format("15:04"))
	o.axe("operator order page with a planned delivery (desktop, en)")
	o.sameDocument()
	o.clean()
}
