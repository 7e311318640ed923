package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/testkit"
)

// TestY1BrowserAcknowledgeAndEscalationsBoard: the worker acknowledges a new assignment ("收到")
// on the order page; another worker leaves theirs unacknowledged past its deadline and the
// operator's escalations board shows it, at the operators' step, live; an SOS from the customer
// appears there and the operator takes it (Y1) — zh-CN at phone width, en at desktop width.
func TestY1BrowserAcknowledgeAndEscalationsBoard(t *testing.T) {
	clk := testkit.NewClock(time.Now().Truncate(time.Second))
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

// TestY2BrowserRateAndReplyFromMessageCenter: from the message center, without opening the order,
// the customer rates a finished service (four stars tapped in a form that opens under the notice;
// sending without stars is refused in Chinese first) and answers the worker's chat message; the
// worker answers the review from its notice. Each notice then shows what was done instead of its
// button, and the server has the review, the reply and the message (Y2) — zh-CN at phone width,
// en at desktop width, axe clean.
func TestY2BrowserRateAndReplyFromMessageCenter(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	id := s.order("c-lin", "w-wang", "daily-cleaning", time.Now().Add(20*time.Minute))
	wt, ct := s.srv.Token("w-wang", model.RoleWorker), s.srv.Token("c-lin", model.RoleCustomer)
	s.startVisit(id, "w-wang")
	if r := s.srv.Do("POST", "/v1/orders/"+id+"/complete", wt, nil); r.Status != 200 {
		t.Fatalf("complete: %s", r)
	}
	conv := s.srv.Do("GET", "/v1/orders/"+id+"/conversation", ct, nil).Str("id")
	if r := s.srv.Do("POST", "/v1/conversations/"+conv+"/messages", wt,
		map[string]any{"client_id": "y2-1", "text": "您好，工具忘在您家门口了，明天来取可以吗？"}); r.Status != 201 {
		t.Fatalf("send: %s", r)
	}

	// The demo has other notices with these actions: each is found by the notice of this order.
	notice := func(tok, action string) string {
		t.Helper()
		for _, it := range s.srv.Do("GET", "/v1/me/inbox?limit=100", tok, nil).Items() {
			data, _ := it["data"].(map[string]any)
			acts, _ := data["actions"].([]any)
			for _, a := range acts {
				if a.(map[string]any)["type"] == action && it["order_id"] == id {
					return `#inbox-list li[data-id="` + it["id"].(string) + `"] `
				}
			}
		}
		t.Fatalf("no notice about %s with a %s action", id, action)
		return ""
	}
	customer := s.signIn("c-lin")
	customer.nav("#/inbox")
	rated, replied := notice(ct, "review"), notice(ct, "reply")
	rate := rated + `button.notice-action[data-action="review"]`
	customer.waitJS(`document.querySelector('`+rate+`')`, "the rate button on the completion notice")
	customer.click(rate)
	customer.waitJS(`document.querySelectorAll('`+rated+`form.notice-form[data-action="review"] input.star-radio').length === 5`, "five star radios")
	customer.click(rated + `form.notice-form[data-action="review"] .notice-submit`)
	customer.waitText(rated+`form.notice-form[data-action="review"]`, "请先选择星级")
	customer.do(chromedp.Tap(chromedp.CSS(rated + `form.notice-form[data-action="review"] .star-label:nth-of-type(4)`)))
	customer.waitJS(`document.querySelectorAll('#inbox-list form.notice-form .star-label.on').length === 4`, "four stars")
	customer.fill(rated+`form.notice-form[data-action="review"] textarea`, "很细致，准时")
	customer.axe("message center, rating a service (phone, zh-CN)")
	customer.quietShot("33-customer-rate-from-notice")
	customer.click(rated + `form.notice-form[data-action="review"] .notice-submit`)
	customer.waitText(".toast", "已评价")
	customer.waitJS(`!document.querySelector('`+rate+`')`, "the rate button to go once rated")
	customer.waitText(rated, "已评价")

	reply := replied + `button.notice-action[data-action="reply"]`
	customer.waitJS(`document.querySelector('`+reply+`')`, "the reply button on the chat notice")
	customer.click(reply)
	customer.fill(replied+`form.notice-form[data-action="reply"] textarea`, "可以，明天上午我在家")
	customer.click(replied + `form.notice-form[data-action="reply"] .notice-submit`)
	customer.waitText(".toast", "已回复")
	customer.waitJS(`!document.querySelector('`+reply+`')`, "the reply button to go once replied")
	customer.waitJS(`location.hash.startsWith('#/inbox')`, "the message center to stay open")

	worker := s.signIn("w-wang")
	worker.nav("#/inbox")
	answered := notice(wt, "reply_review")
	answer := answered + `button.notice-action[data-action="reply_review"]`
	worker.waitJS(`document.querySelector('`+answer+`')`, "the reply button on the review notice")
	worker.click("#lang")
	worker.do(chromedp.EmulateViewport(1280, 800))
	worker.waitText(answer, "Reply to the review")
	worker.click(answer)
	worker.click(answered + `form.notice-form[data-action="reply_review"] .notice-submit`)
	worker.waitText(answered+`form.notice-form[data-action="reply_review"]`, "Please write your reply first")
	worker.fill(answered+`form.notice-form[data-action="reply_review"] textarea`, "谢谢您的认可！")
	worker.axe("message center, answering a review (desktop, en)")
	worker.click(answered + `form.notice-form[data-action="reply_review"] .notice-submit`)
	worker.waitText(".toast", "Review answered")
	worker.waitText(answered, "Review answered")

	rv := s.srv.Do("GET", "/v1/orders/"+id+"/review", ct, nil)
	rp, _ := rv.JSON["reply"].(map[string]any)
	if rv.Status != 200 || rv.JSON["rating"] != 4.0 || rv.Str("text") != "很细致，准时" || rp == nil || rp["text"] != "谢谢您的认可！" {
		t.Fatalf("the review as stored: %s", rv)
	}
	msgs := s.srv.Do("GET", "/v1/conversations/"+conv+"/messages", wt, nil).Items()
	if last := msgs[len(msgs)-1]; last["text"] != "可以，明天上午我在家" || last["sender_id"] != "c-lin" {
		t.Fatalf("the last message: %v", last)
	}
	for _, p := range []*page{customer, worker} {
		p.sameDocument()
		p.clean()
	}
}
