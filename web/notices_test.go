package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/model"
)

// TestY1BrowserAcknowledgeAndEscalationsBoard: the worker acknowledges a new assignment ("收到")
// on the order page; another worker leaves theirs unacknowledged past its deadline and the
// operator's escalations board shows it, at the operators' step, live; an SOS from the customer
// appears there and the operator takes it (Y1) — zh-CN at phone width, en at desktop width.
func TestY1BrowserAcknowledgeAndEscalationsBoard(t *testing.T) {
	clk := &clock{now: time.Now().Truncate(time.Second)}
	s := newStage(t, apptest.Options{Demo: true, Now: clk.Now, ManualJobs: true})
	op := s.srv.Token("o-zhou", model.RoleOperator)
	at := clk.Now().Add(72 * time.Hour).Truncate(time.Hour)
	first := s.order("c-lin", "", "daily-cleaning", at)
	second := s.order("c-lin", "", "appliance-cleaning", at.Add(time.Hour))
	for id, w := range map[string]string{first: "w-wang", second: "w-zhao"} {
		if r := s.srv.Do("POST", "/v1/orders/"+id+"/assign", op, map[string]any{"worker_id": w}); r.Status != 200 {
			t.Fatalf("assign: %s", r)
		}
	}
	worker := s.signIn("w-wang")
	worker.openOrder(first)
	worker.waitText("#order-ack", "新的服务安排待确认")
	worker.axe("order page, acknowledge (phone, zh-CN)")
	worker.quietShot("30-worker-acknowledge")
	worker.click("#order-acknowledge")
	worker.waitText(".toast", "已确认收到")
	worker.waitJS(`!document.querySelector('#order-ack')`, "the acknowledge card to go")

	operator := s.signIn("o-zhou")
	operator.nav("#/escalations")
	operator.waitText("#escalations-list", "没有超时未读的通知")
	clk.Add(15 * time.Minute)
	for s.srv.RunJobs(t) > 0 {
	}
	operator.waitText("#escalations-list", "赵师傅")
	operator.waitText("#escalations-list .esc-step", "通知运营")
	if r := s.srv.Do("POST", "/v1/orders/"+first+"/sos", s.srv.Token("c-lin", model.RoleCustomer), map[string]any{"text": "家里漏水了"}); r.Status != 201 {
		t.Fatalf("sos: %s", r)
	}
	operator.waitText("#sos-list", "家里漏水了")
	operator.waitText(".toast", "紧急求助")
	operator.axe("escalations board (phone, zh-CN)")
	operator.shot("31-operator-escalations")
	operator.click("#sos-list button[data-sos]")
	operator.waitText(".toast", "已接手求助")
	operator.waitText("#sos-list", "没有待处理的求助")
	operator.waitJS(`document.querySelector('#notice-chains input[id^="chain-minutes-order_assigned"]')?.value === '15'`, "the assignment's deadline")

	operator.click("#lang")
	operator.waitText("#escalations-list", "Operators told")
	operator.do(chromedp.EmulateViewport(1280, 800))
	operator.axe("escalations board (desktop, en)")
	for _, p := range []*page{worker, operator} {
		p.sameDocument()
		p.clean()
	}
}

// TestY2BrowserActionFromMessageCenter: the worker accepts the customer's time change from the
// notice in the message center; the order moves, and the notice's buttons give way to what was
// done (Y2) — zh-CN at phone width, en at desktop width.
func TestY2BrowserActionFromMessageCenter(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	at := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	id := s.order("c-lin", "w-wang", "daily-cleaning", at)
	newTime := at.Add(2 * time.Hour)
	if r := s.srv.Do("POST", "/v1/orders/"+id+"/time-changes", s.srv.Token("c-lin", model.RoleCustomer),
		map[string]any{"new_time": newTime.UTC().Format(time.RFC3339), "reason": "临时加班"}); r.Status != 201 {
		t.Fatalf("time change: %s", r)
	}
	worker := s.signIn("w-wang")
	worker.nav("#/inbox")
	worker.waitJS(`document.querySelector('#inbox-list [data-action="accept_time_change"]')`, "the notice's accept button")
	worker.axe("message center with actions (phone, zh-CN)")
	worker.quietShot("32-worker-notice-actions")
	worker.click(`#inbox-list [data-action="accept_time_change"]`)
	worker.waitText(".toast", "已同意改期")
	worker.waitJS(`!document.querySelector('#inbox-list [data-action="accept_time_change"]')`, "the buttons to go once done")
	worker.waitText("#inbox-list", "已同意改期")
	worker.click("#lang")
	worker.do(chromedp.EmulateViewport(1280, 800))
	worker.waitText("#inbox-list", "New time accepted")
	worker.axe("message center with actions (desktop, en)")
	r := s.srv.Do("GET", "/v1/orders/"+id, s.srv.Token("w-wang", model.RoleWorker), nil)
	if got, _ := time.Parse(time.RFC3339, r.Str("appointment_at")); !got.Equal(newTime) {
		t.Fatalf("the order is at %s, want %s", r.Str("appointment_at"), newTime)
	}
	worker.sameDocument()
	worker.clean()
}
