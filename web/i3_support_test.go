package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/model"
)

// TestI3BrowserSupportLive: a customer contacts support from the menu with a screenshot; the
// agent's console (on a desktop) shows the conversation arrive, with the image, the customer's
// orders beside it and the canned replies; the agent's reply reaches the customer's open page
// live; the agent resolves; the customer rates it and the agent sees the rating; away, the agent
// sees a new conversation join the queue and claims it — nobody reloads.
func TestI3BrowserSupportLive(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	// Open round the clock, so the test reads the same at any hour.
	days := map[string]any{}
	for _, d := range model.Weekdays {
		days[d] = map[string]string{"start": "00:00", "end": "24:00"}
	}
	op := s.srv.Token("o-zhou", model.RoleOperator)
	if r := s.srv.Do("PUT", "/v1/admin/support/hours", op, map[string]any{"time_zone": "Asia/Shanghai", "days": days, "offline_after_minutes": 5}); r.Status != 200 {
		t.Fatalf("hours: %s", r)
	}
	if r := s.srv.Do("POST", "/v1/admin/support/canned-replies", op, map[string]any{"title": "已收到截图", "text": "{customer}您好，截图已收到，我们马上核实。"}); r.Status != 201 {
		t.Fatalf("canned: %s", r)
	}

	agent := s.signIn("a-chen")
	agent.do(chromedp.EmulateViewport(1280, 800))
	agent.waitJS(`document.querySelector('#desk-state')?.dataset.available === 'true'`, "the agent online")
	agent.waitText("#desk-queue", "没有排队的会话")
	agent.axe("agent console, empty")

	// The customer starts from one of their orders.
	customer := s.signIn("c-lin")
	customer.click(`.nav-link[data-path="orders"]`)
	customer.click(".order-card .order-link")
	customer.click("#order-help")
	customer.waitText("#help-expect", "客服在线")
	customer.waitJS(`document.querySelector('#help-order').value !== ''`, "the order chosen")
	customer.fill("#help-subject", "付款失败")
	customer.fill("#help-text", "付款一直失败，截图在这里")
	customer.do(chromedp.SetUploadFiles(chromedp.CSS("#help-images"), []string{samplePNG(t)}))
	customer.waitJS(`document.querySelector('#help-images-list [data-file]')`, "the uploaded screenshot")
	customer.axe("contact support form")
	customer.click("#help-submit")
	customer.waitText("#help-who", "客服小陈 正在为您服务")
	customer.waitText("#sc-messages", "付款一直失败")
	customer.waitJS(`document.querySelector('#sc-messages img.img-shown')?.src.startsWith('blob:')`, "the customer's own screenshot")

	// The console: the conversation arrives by itself in my conversations, with an unread count.
	agent.waitText("#desk-mine", "林晓")
	agent.waitJS(`document.querySelector('#desk-mine .desk-unread')?.dataset.count === '1'`, "one unread message")
	// A second message before the agent opens it: the row counts it live (from the message's frame).
	customer.fill("#sc-text", "订单尾号 0620")
	customer.click("#sc-send")
	customer.waitText("#sc-messages", "订单尾号 0620")
	agent.waitJS(`document.querySelector('#desk-mine .desk-unread')?.dataset.count === '2'`, "two unread messages")
	agent.click("#desk-mine .desk-open")
	agent.waitText("#desk-title", "林晓")
	agent.waitText("#sc-messages", "付款一直失败，截图在这里")
	agent.waitJS(`document.querySelector('#sc-messages img.img-shown')?.src.startsWith('blob:')`, "the screenshot in the console")
	agent.waitJS(`document.querySelectorAll('#desk-order-list .desk-order').length >= 1`, "the customer's orders")
	agent.waitText("#desk-order-list .desk-order.about", "本次咨询的订单")
	agent.click("#desk-order-list .desk-order.about .link")
	agent.waitText("#desk-order-list .desk-order.about .desk-timeline", "下单")
	agent.waitJS(`!document.querySelector('#desk-mine .desk-unread')`, "the unread count gone once read")
	// A canned reply, filled in for this customer.
	agent.waitJS(`[...document.querySelectorAll('#sc-canned option')].some((o) => o.textContent === '已收到截图')`, "the canned replies")
	agent.fill("#sc-canned", "林晓您好，截图已收到，我们马上核实。")
	agent.waitJS(`document.querySelector('#sc-text').value.includes('林晓您好')`, "the canned reply in the composer")
	agent.axe("agent console with a conversation")
	agent.quietShot("20-agent-console")
	agent.click("#sc-send")
	agent.waitText("#sc-messages", "截图已收到，我们马上核实")

	// The customer's open page shows the reply live.
	customer.waitText("#sc-messages", "林晓您好，截图已收到，我们马上核实。")
	customer.fill("#sc-text", "好的，谢谢")
	customer.click("#sc-send")
	agent.waitText("#sc-messages", "好的，谢谢")

	// Resolve: the customer is asked to rate, and the agent sees the rating.
	agent.click("#desk-resolve")
	agent.waitText("#desk-sub", "已解决")
	customer.waitJS(`document.querySelector('#help-rate')`, "the rating form")
	customer.waitText("#sc-messages", "本次咨询已解决")
	customer.axe("rating after resolve")
	customer.quietShot("21-customer-support-rating")
	customer.click("#help-score-5")
	customer.fill("#help-comment", "很快就解决了")
	customer.click("#help-rate-send")
	customer.waitText("#help-rated", "5 分")
	agent.waitText("#desk-rating", "5 分")
	if got := customer.text("#main"); strings.Contains(got, "内部备注") {
		t.Errorf("the customer sees the agents' notes: %q", got)
	}

	// Away, the agent is offered nothing: a new conversation waits in the queue, and the console's
	// queue shows it live (support.queue); claiming it moves it to my conversations.
	agent.click("#desk-away")
	agent.waitJS(`document.querySelector('#desk-state')?.dataset.available === 'false'`, "the agent away")
	// The rating's support.updated made the console read its lists within 300 ms: let that read
	// end, so only the queue signal can show what comes next.
	time.Sleep(800 * time.Millisecond)
	emma := s.srv.Token("c-emma", model.RoleCustomer)
	if r := s.srv.Do("POST", "/v1/support/conversations", emma, map[string]any{"client_id": "emma-1", "subject": "Refund", "text": "Where is my refund?"}); r.Status != 201 {
		t.Fatalf("emma opens: %s", r)
	}
	agent.waitText("#desk-queue", "Emma Clark")
	agent.waitJS(`document.querySelector('#desk-queue-count')?.textContent === '1'`, "one waiting")
	agent.click("#desk-queue .desk-claim")
	agent.waitText("#desk-mine", "Emma Clark")
	agent.waitText("#desk-queue", "没有排队的会话")
	customer.sameDocument()
	agent.sameDocument()
	customer.clean()
	agent.clean()
}
