package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/model"
)

// TestAccessibilityEveryScreen: axe-core finds no critical or serious issue on any screen of any
// role — sign-in, every menu entry (the operators' order console among them), an order page with
// each action panel open, at phone size and on a desktop, and every menu entry in English (WCAG 2
// A/AA as axe-core checks it: names, labels, contrast, landmarks, roles).
func TestAccessibilityEveryScreen(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	at := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	id := s.order("c-lin", "w-wang", "deep-cleaning", at)
	s.notices("c-lin")
	conv := s.srv.Do("GET", "/v1/orders/"+id+"/conversation", s.srv.Token("c-lin", model.RoleCustomer), nil).Str("id")
	if r := s.srv.Do("POST", "/v1/conversations/"+conv+"/messages", s.srv.Token("w-wang", model.RoleWorker),
		map[string]any{"client_id": "a11y-1", "text": "您好，我是王阿姨，明天九点到"}); r.Status != 201 {
		t.Fatalf("send: %s", r)
	}

	visitor := s.open("visitor")
	visitor.waitText(".people", "林晓")
	visitor.axe("sign-in")
	visitor.click(".signin-head .lang")
	visitor.waitText(".signin-head .lang", "中文")
	visitor.axe("sign-in (en)")
	visitor.clean()

	screens := map[string][]string{
		"c-lin":  {"#/book", "#/orders", "#/inbox", "#/settings", "#/feedback", "#/help"},
		"w-wang": {"#/open", "#/orders", "#/reviews", "#/inbox", "#/settings", "#/feedback", "#/help"},
		"o-zhou": {"#/approvals", "#/orders", "#/inbox", "#/platform", "#/wechat", "#/campaigns", "#/settings", "#/feedback-triage", "#/support-admin"},
		"a-chen": {"#/support", "#/inbox", "#/settings"},
	}
	for _, who := range []string{"c-lin", "w-wang", "o-zhou", "a-chen"} {
		p := s.signIn(who)
		for _, desktop := range []bool{false, true} {
			if desktop {
				p.do(chromedp.EmulateViewport(1280, 800))
			}
			for _, hash := range screens[who] {
				p.nav(hash)
				p.waitJS(`!document.querySelector('#main .loading')`, "the screen to load")
				p.axe(who + " " + hash)
			}
			if who != "a-chen" {
				// The order's chat (I1): the customer and the worker write; the operator reads.
				p.nav("#/orders/" + id + "/chat")
				p.waitJS(`document.querySelector('#chat-messages .msg, #chat-messages .empty')`, "the chat")
				p.axe(who + " chat")
				p.openOrder(id)
				p.axe(who + " order page")
				var panels []string
				p.eval(`[...document.querySelectorAll('#order-actions button[id^="open-"]')].map((b) => '#' + b.id)`, &panels)
				for _, b := range panels {
					p.click(b)
					p.axe(who + " order page " + b)
					p.click(b)
				}
			}
		}
		// Every screen in English too (desktop): other words, other lengths, other contrast.
		p.click("#lang")
		p.waitText("#lang", "中文")
		for _, hash := range screens[who] {
			p.nav(hash)
			p.waitJS(`!document.querySelector('#main .loading')`, "the screen to load")
			p.axe(who + " " + hash + " (en)")
		}
		if who == "o-zhou" {
			// The console with nothing matching, and the operator's order page beside its trail.
			p.nav("#/orders")
			p.fill("#console-q", "nothing-matches-this")
			p.click("#console-apply")
			p.waitJS(`document.querySelector('#console-rows .empty')`, "the console's empty state")
			p.axe("operator console, nothing matches (en)")
			p.openOrder(id)
			p.axe("operator order page (en)")
		}
		p.clean()
	}
}
