package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/model"
)

// TestI1BrowserChatLive: a customer and a worker, each in a browser of their own, talk about an
// order (I1). The customer opens the chat from the order page and types — the worker, whose chat
// is open, sees "typing" live; the message arrives live, the worker's screen reads it and "已读"
// appears under it on the customer's screen without a reload; an image picked from the gallery
// arrives live as a thumbnail that opens the full image; the worker types a phone number, which
// is masked for both with a notice to the worker (X5); the customer, gone to the message center,
// opens the chat from its entry.
func TestI1BrowserChatLive(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	id := s.order("c-lin", "w-wang", "deep-cleaning", time.Now().Add(48*time.Hour).Truncate(time.Hour))
	customer := s.signIn("c-lin")
	worker := s.signIn("w-wang")
	for _, p := range []*page{customer, worker} {
		p.openOrder(id)
		p.click("#order-chat")
		p.waitJS(`location.hash.endsWith('/chat') && document.querySelector('#chat-messages')`, "the chat")
	}
	customer.waitText("#chat-title", "王阿姨")
	worker.waitText("#chat-title", "林晓")
	customer.waitText("#chat-messages", "还没有消息")
	customer.axe("the chat, empty")

	// Typing shows live on the other side.
	customer.fill("#chat-text", "明天上午九点可以吗？门禁是 1203#")
	worker.waitText("#chat-typing", "林晓 正在输入")
	customer.click("#chat-send")
	customer.waitText("#chat-messages .msg-mine", "明天上午九点可以吗？")
	worker.waitText("#chat-messages .msg-theirs", "明天上午九点可以吗？门禁是 1203#")
	worker.waitJS(`document.querySelector('#chat-typing').textContent === ''`, "typing gone with the message")
	// The worker's open chat read it: the customer sees 已读 appear under their message, live.
	customer.waitJS(`document.querySelector('#chat-messages .msg-mine .msg-receipt')?.dataset.read === 'true'`, "the read receipt")
	customer.waitText("#chat-messages .msg-mine .msg-receipt", "已读")

	// An image from the gallery: uploaded, sent, shown live as a thumbnail that opens the full image.
	var attrs struct {
		Accept  string `json:"accept"`
		Capture bool   `json:"capture"`
		Gallery string `json:"gallery"`
	}
	customer.eval(`({accept: document.querySelector('#chat-camera').accept, capture: document.querySelector('#chat-camera').hasAttribute('capture'),
		gallery: document.querySelector('#chat-gallery').accept})`, &attrs)
	if attrs.Accept != "image/*" || !attrs.Capture || attrs.Gallery != "image/*" {
		t.Errorf("image inputs: %+v, want image/* with a camera (capture) and a gallery", attrs)
	}
	customer.do(chromedp.SetUploadFiles(chromedp.CSS("#chat-gallery"), []string{samplePNG(t)}))
	customer.waitJS(`document.querySelector('#chat-messages .msg-mine .msg-thumb[data-loaded] img')?.src.startsWith('blob:')`, "my image")
	worker.waitJS(`document.querySelector('#chat-messages .msg-theirs .msg-thumb[data-loaded] img')?.src.startsWith('blob:')`, "the image, live")
	worker.click("#chat-messages .msg-theirs .msg-thumb[data-loaded]")
	worker.waitJS(`document.querySelector('#chat-image-view').open && document.querySelector('#chat-image-full').src.startsWith('blob:')
		&& document.querySelector('#chat-image-full').naturalWidth === 64`, "the full image")
	worker.axe("the chat with the full image open")
	worker.quietShot("i1-01-worker-full-image")
	worker.click("#chat-image-close")
	customer.waitJS(`[...document.querySelectorAll('#chat-messages .msg-mine .msg-receipt')].every((r) => r.dataset.read === 'true')`, "both messages read")

	// The customer leaves for the message center; the worker types a phone number: it is masked
	// for both, and the worker is told why.
	customer.nav("#/inbox")
	worker.fill("#chat-text", "有事打我电话 138 0013 8000")
	worker.click("#chat-send")
	worker.waitText("#chat-messages .msg-mine", "138****8000")
	worker.waitText("#chat-masked-notice", "联系方式已隐藏")
	worker.waitText("#chat-messages .msg-mine .msg-masked", "已隐藏")
	worker.axe("the chat with the masked-contact notice")
	worker.quietShot("i1-02-worker-masked-notice")
	customer.waitJS(`document.querySelector('#inbox-list li[data-kind="chat.message"]')`, "the chat's message-center entry")
	customer.waitText(`#inbox-list li[data-kind="chat.message"]`, "王阿姨")
	customer.click(`#inbox-list li[data-kind="chat.message"]`)
	customer.waitJS(`location.hash === '#/orders/`+id+`/chat' && document.querySelector('#chat-messages .msg-theirs')`, "the chat from the message center")
	customer.waitText("#chat-messages .msg-theirs", "138****8000")
	if got := customer.text("#chat-messages"); strings.Contains(got, "0013") {
		t.Errorf("the customer sees the unmasked number: %q", got)
	}
	customer.axe("the chat")
	customer.quietShot("i1-03-customer-chat")

	// In English: the same chat, the receipts say Read.
	customer.click("#lang")
	customer.waitText("#chat-title", "Chat with 王阿姨")
	customer.waitText("#chat-messages .msg-mine .msg-receipt", "Read")
	customer.axe("the chat in English")

	// An operator reads it for a dispute from the order page: read-only, with the text as typed.
	op := s.signIn("o-zhou")
	op.openOrder(id)
	op.click("#order-chat")
	op.waitText("#chat-readonly", "只读")
	op.waitText("#chat-messages .msg-original", "138 0013 8000")
	if op.text("#chat-composer") != "" {
		t.Error("the operator's view has a composer")
	}
	op.do(chromedp.EmulateViewport(1280, 800))
	op.axe("the operator's read-only chat on a desktop")
	op.quietShot("i1-04-operator-reads-chat-desktop")

	// The order is cancelled and the policy closes its chat at once: both open screens turn
	// read-only, live, and say why.
	ot := s.srv.Token("o-zhou", model.RoleOperator)
	if r := s.srv.Do("PUT", "/v1/admin/policies", ot, map[string]any{"chat": map[string]any{"after_cancellation_hours": 0}}); r.Status != 200 {
		t.Fatalf("policy: %s", r)
	}
	if r := s.srv.Do("POST", "/v1/orders/"+id+"/cancel", ot, map[string]any{"reason": "客户临时出差"}); r.Status != 200 {
		t.Fatalf("cancel: %s", r)
	}
	customer.waitText("#chat-closed", "This chat ended")
	customer.waitJS(`document.querySelector('#chat-composer').hidden`, "the composer gone")
	worker.waitText("#chat-closed", "对话已于")
	worker.axe("a closed chat")
	worker.quietShot("i1-05-worker-closed-chat")

	for _, p := range []*page{customer, worker, op} {
		p.sameDocument()
		p.clean()
	}
}

// TestI1BrowserChatOlderPagesAndRemovedWorker: a long chat opens on its newest 30 messages and
// "earlier messages" loads the rest; when an operator gives the order to another worker, the
// removed worker's open chat says so at once and shows nothing more (I1, E2).
func TestI1BrowserChatOlderPagesAndRemovedWorker(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	id := s.order("c-lin", "w-wang", "deep-cleaning", time.Now().Add(48*time.Hour).Truncate(time.Hour))
	ct := s.srv.Token("c-lin", model.RoleCustomer)
	conv := s.srv.Do("GET", "/v1/orders/"+id+"/conversation", ct, nil).Str("id")
	for i := 1; i <= 35; i++ {
		if r := s.srv.Do("POST", "/v1/conversations/"+conv+"/messages", ct,
			map[string]any{"client_id": fmt.Sprint("m-", i), "text": fmt.Sprintf("第 %d 条消息", i)}); r.Status != 201 {
			t.Fatalf("send %d: %s", i, r)
		}
	}
	worker := s.signIn("w-wang")
	worker.nav("#/orders/" + id + "/chat")
	worker.waitText("#chat-messages .msg:last-child", "第 35 条消息")
	var n int
	worker.eval(`document.querySelectorAll('#chat-messages .msg').length`, &n)
	if n != 30 {
		t.Fatalf("first page shows %d messages, want the newest 30", n)
	}
	worker.click("#chat-older")
	worker.waitJS(`document.querySelector('#chat-messages .msg:first-child')?.dataset.seq === '1'`, "the first message")
	worker.waitJS(`document.querySelectorAll('#chat-messages .msg').length === 35 && document.querySelector('#chat-older').hidden`, "all 35, no more to load")

	if r := s.srv.Do("POST", "/v1/orders/"+id+"/assign", s.srv.Token("o-zhou", model.RoleOperator),
		map[string]any{"worker_id": "w-li", "reason": "王阿姨临时有事"}); r.Status != 200 {
		t.Fatalf("assign: %s", r)
	}
	worker.waitText("#chat-gone", "不再是这个订单的服务人员")
	if worker.text("#chat-messages") != "" || worker.text("#chat-composer") != "" {
		t.Error("the removed worker still sees the chat")
	}
	worker.axe("a removed worker's chat")
	// Opening it again (from the order or its message-center entry) says the same.
	worker.nav("#/inbox")
	worker.nav("#/orders/" + id + "/chat")
	worker.waitText("#chat-none", "不再是这个订单的服务人员")
	worker.sameDocument()
	worker.clean()
}
