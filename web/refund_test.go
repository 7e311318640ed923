package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/model"
)

// appDate is how the web app (and homebell's messages) write the month and day of t (Shanghai)
// in zh-CN.
func appDate(t time.Time) string {
	t = t.In(shanghai())
	return fmt.Sprintf("%d月%d日", int(t.Month()), t.Day())
}

// appTime is how the web app and homebell's messages write a moment in Shanghai: 「12月1日（周二）15:00」
// in zh-CN, "Tue 1 Dec 15:00" in English.
func appTime(t time.Time, en bool) string {
	t = t.In(shanghai())
	if en {
		return t.Format("Mon 2 Jan 15:04")
	}
	return fmt.Sprintf("%s（周%s）%s", appDate(t), [...]string{"日", "一", "二", "三", "四", "五", "六"}[t.Weekday()], t.Format("15:04"))
}

// TestE3BrowserCancelledOrderShowsRefund: a cancelled order's page says how much comes back and
// when (the expected date from the order's cancellation), then that it has arrived once the
// platform reports it paid — in Chinese and English, at phone and desktop width (issue 15 item 9).
func TestE3BrowserCancelledOrderShowsRefund(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	id := s.order("c-lin", "w-wang", "deep-cleaning", time.Now().Add(72*time.Hour).Truncate(time.Hour))
	r := s.srv.Do("POST", "/v1/orders/"+id+"/cancel", s.srv.Token("c-lin", model.RoleCustomer), map[string]any{"reason": "临时出差"})
	if r.Status != 200 {
		t.Fatalf("cancel: %s", r)
	}
	eta, err := time.Parse(time.RFC3339, r.Str("refund_eta"))
	if err != nil {
		t.Fatalf("refund_eta %q: %v", r.Str("refund_eta"), err)
	}
	customer := s.signIn("c-lin")
	customer.openOrder(id)
	customer.waitText("#order-detail .status", "已取消")
	customer.waitText("#order-refund", "退款金额")
	customer.waitText("#order-refund", "¥450.00")
	customer.waitText("#order-refund", "预计到账")
	customer.waitText("#order-refund", appDate(eta))
	customer.waitText("#order-refund", "免费取消")
	customer.waitText("#order-refund", "临时出差")
	customer.axe("cancelled order, refund (phone, zh-CN)")
	customer.quietShot("07b-customer-cancelled-refund")

	// The platform pays it: the page says so live, with the day.
	if r := s.srv.Do("POST", "/v1/orders/"+id+"/refund/settled", s.srv.Token("o-zhou", model.RoleOperator), nil); r.Status != 200 {
		t.Fatalf("settled: %s", r)
	}
	customer.waitText("#order-refund", "已到账")
	customer.waitJS(`!document.querySelector('#order-refund').textContent.includes('预计到账')`, "no expected date once paid")

	customer.click("#lang")
	customer.waitText("#order-refund", "Paid on")
	customer.waitText("#order-refund", "Refund")
	customer.do(chromedp.EmulateViewport(1280, 800))
	customer.axe("cancelled order, refund (desktop, en)")
	customer.sameDocument()
	customer.clean()
}
