package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/homebell/homebell/internal/app/apptest"
)

// TestY5BrowserCustomerWorkerAndWatcher: a customer, a worker and a family member, each in a
// browser of their own (Y5). The customer (zh-CN, phone) invites her daughter by phone from the
// order's page with the right to message the worker; the platform resolves the invite; the
// daughter (English) finds the order under "Orders I follow", reads it without the amount, opens
// the chat and writes — the worker, who sees her by name only, reads it live. The customer takes
// her off the order: the daughter's open chat says so at once and the order is gone for her.
// Settings show the household at desktop width.
func TestY5BrowserCustomerWorkerAndWatcher(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	id := s.order("c-lin", "w-wang", "deep-cleaning", time.Now().Add(48*time.Hour).Truncate(time.Hour))
	customer := s.signIn("c-lin")
	customer.openOrder(id)
	customer.waitText("#order-household", "关注此订单的家人")
	customer.waitText("#order-household #watchers", "还没有家人关注")
	customer.click("#household-add-open")
	customer.fill("#household-phone", "138 0000 0002")
	customer.click("#household-can-chat")
	customer.click("#household-submit")
	customer.waitText(".toast", "邀请已发出")
	customer.waitText("#order-household #watchers", "已邀请，待确认")
	customer.axe("the order's household, an invite pending")
	customer.quietShot("y5-01-customer-invites-family")

	// The platform's backend reached the number and names the person who accepted.
	key := s.srv.ServiceKey("platform")
	inv := s.srv.Do("GET", "/v1/household/invites", key, nil)
	if len(inv.Items()) != 1 {
		t.Fatalf("invites: %s", inv)
	}
	invite, _ := inv.Items()[0]["id"].(string)
	if r := s.srv.Do("POST", "/v1/household/invites/"+invite+"/resolve", key, map[string]any{"person_id": "c-emma"}); r.Status != 200 {
		t.Fatalf("resolve: %s", r)
	}
	customer.nav("#/orders")
	customer.openOrder(id)
	customer.waitText("#order-household #watchers", "Emma Clark")
	customer.waitJS(`document.querySelector('#order-household .watcher input[id$="-can_chat"]').checked &&
		!document.querySelector('#order-household .watcher input[id$="-can_answer_changes"]').checked`, "her rights")

	// The daughter, in English: the order she follows, without the money, with a way to the chat.
	watcher := s.signIn("c-emma")
	watcher.nav("#/orders")
	watcher.waitText("#watched-orders", "Orders I follow")
	watcher.click(`#watched-orders [data-order="` + id + `"] a`)
	watcher.waitJS(`document.querySelector('#order-detail .status')`, "the followed order")
	watcher.waitText("#watcher-banner", "You are following 林晓’s order")
	watcher.waitText("#watcher-banner", "You may message the worker")
	if got := watcher.text("#order-detail"); strings.Contains(got, "Amount") || strings.Contains(got, "¥") {
		t.Errorf("the watcher sees money: %q", got)
	}
	if watcher.text("#order-actions") != "" || watcher.text("#order-household") != "" {
		t.Error("the watcher is offered the customer's actions")
	}
	watcher.axe("a followed order, phone")
	watcher.quietShot("y5-02-watcher-order")
	watcher.do(chromedp.EmulateViewport(1280, 800))
	watcher.axe("a followed order, desktop")
	watcher.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))

	// The worker sees her by name only and reads what she writes, live.
	worker := s.signIn("w-wang")
	worker.openOrder(id)
	worker.waitText("#order-watchers", "Emma Clark")
	worker.click("#order-chat")
	worker.waitJS(`document.querySelector('#chat-messages')`, "the worker's chat")
	watcher.click("#order-chat")
	watcher.waitJS(`document.querySelector('#chat-messages')`, "the watcher's chat")
	watcher.fill("#chat-text", "Hi, I am Lin's daughter. The key is with the doorman.")
	watcher.click("#chat-send")
	worker.waitText("#chat-messages .msg-theirs", "The key is with the doorman.")
	worker.waitText("#chat-messages .msg-theirs", "Emma Clark")
	watcher.axe("the watcher in the chat")
	worker.axe("the worker's chat with a watcher")

	// The customer takes her off: her open chat says so at once; the order is gone for her.
	customer.click("#order-household .watcher-remove")
	customer.waitText("#order-household .watcher-remove", "确认移除")
	customer.click("#order-household .watcher-remove")
	customer.waitText(".toast", "已移除")
	customer.waitText("#order-household #watchers", "还没有家人关注")
	watcher.waitJS(`document.querySelector('#chat-gone')`, "the chat closed to her")
	watcher.openOrderGone(id)
	watcher.waitText("#order-gone", "Order not found")

	// Settings: the household for all orders, at desktop width, in English too.
	customer.nav("#/settings")
	customer.waitText("#settings-household", "家人关注")
	customer.do(chromedp.EmulateViewport(1280, 800))
	customer.axe("settings with the household, desktop")
	customer.click("#lang")
	customer.waitText("#settings-household", "Family members")
	customer.axe("settings with the household, English")

	for _, p := range []*page{customer, watcher, worker} {
		p.sameDocument()
		p.clean()
	}
}

// openOrderGone shows an order's page this person may no longer see and waits for it to say so.
func (p *page) openOrderGone(id string) {
	p.t.Helper()
	p.nav("#/orders/" + id)
	p.waitJS(`document.querySelector('#order-gone')`, "order "+id+" gone")
}
