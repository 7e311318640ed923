package web_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/model"
)

// orderTime is the appointment as the order page writes it.
func (p *page) orderTime() string {
	p.t.Helper()
	var s string
	p.eval(`(() => { const dt = [...document.querySelectorAll('#order-detail .facts dt')].find((e) => ['预约时间', 'Appointment'].includes(e.textContent)); return dt ? dt.nextElementSibling.textContent : ''; })()`, &s)
	return s
}

// TestDateTimeOneFormatPerLocale: the web app writes a moment one way per language, the way
// homebell's messages do (「12月1日（周二）15:00」, "Tue 1 Dec 15:00") — on the order page, in the
// message the same page's order produced, in the message center's list and in the cancellation
// terms — and labels take the language's colon (「退款金额：」, 「原因：」) (issue 15 item 12).
func TestDateTimeOneFormatPerLocale(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	s.newcomer()
	at := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	id := s.order("c-xu", "w-wang", "deep-cleaning", at)
	if r := s.srv.Do("POST", "/v1/orders/"+id+"/time-changes", s.srv.Token("w-wang", model.RoleWorker),
		map[string]any{"new_time": at.Add(2 * time.Hour).UTC().Format(time.RFC3339), "reason": "上午有培训"}); r.Status != 201 {
		t.Fatalf("time change: %s", r)
	}
	c := s.signIn("c-xu")
	c.openOrder(id)
	if got, want := c.orderTime(), appTime(at, false); got != want {
		t.Errorf("order page writes the appointment %q, want %q", got, want)
	}
	c.waitText("#order-detail", "原因：上午有培训")
	c.waitText("#order-detail", appTime(at.Add(2*time.Hour), false))
	c.click("#open-cancel")
	c.waitText("#cancel-quote", "退款金额：¥450.00")
	c.waitText("#cancel-quote", "预计到账：")

	// The message about the same order says the time the same way, and the list's own times match.
	c.nav("#/inbox")
	c.waitText("#inbox-list", appTime(at, false))
	zhStamp := regexp.MustCompile(`\d{1,2}月\d{1,2}日（周[日一二三四五六]）\d\d:\d\d$`)
	var stamps []string
	c.eval(`[...document.querySelectorAll('#inbox-list .note .muted.small span:first-child')].map((e) => e.textContent)`, &stamps)
	if len(stamps) == 0 {
		t.Fatal("no message times in the message center")
	}
	for _, st := range stamps {
		if !zhStamp.MatchString(st) {
			t.Errorf("message center time %q is not written 「12月1日（周二）15:00」", st)
		}
	}
	c.axe("message center (phone, zh-CN)")

	c.click("#lang")
	c.waitText("nav", "My orders")
	c.do(chromedp.EmulateViewport(1280, 800))
	c.openOrder(id)
	if got, want := c.orderTime(), appTime(at, true); got != want {
		t.Errorf("order page (en) writes the appointment %q, want %q", got, want)
	}
	c.waitText("#order-detail", "Reason: 上午有培训")
	c.click("#open-cancel")
	c.waitText("#cancel-quote", "Refund: ¥450.00")
	c.axe("order page with the cancellation terms (desktop, en)")
	c.sameDocument()
	c.clean()
}
