package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/homebell/homebell/internal/app/apptest"
)

// TestX3BrowserMessageCenterInTheReadersLanguage: a customer's older notices were written in
// Chinese; after switching to English the message center shows them in English (titles and
// bodies, no Chinese left), searchable in English, and Chinese again after switching back — at
// phone and desktop width, axe clean (X3; issue 15 item 11).
func TestX3BrowserMessageCenterInTheReadersLanguage(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	s.newcomer()
	s.notices("c-xu") // a cancellation, an acceptance and a time change, all in Chinese
	c := s.signIn("c-xu")
	c.nav("#/inbox")
	c.waitText("#inbox-list", "订单已取消")
	c.waitText("#inbox-list", "台风预警")

	c.click("#lang")
	c.waitText("#inbox-list .note-title", "Order cancelled")
	c.waitText("#inbox-list", "Your booking was accepted")
	c.waitJS(`![...document.querySelectorAll('#inbox-list .note-title')].some((e) => /[\u4e00-\u9fff]/.test(e.textContent)) &&
		![...document.querySelectorAll('#inbox-list .note-body')].some((e) => /接了您的|原因|退款|申请|预约/.test(e.textContent))`,
		"every title and body in English (names, addresses and reasons people wrote stay as written)")
	c.axe("message center after switching to English (phone)")
	c.quietShot("24-message-center-en")
	c.fill("#inbox-search", "cancelled")
	c.waitJS(`document.querySelectorAll('#inbox-list .note-title').length === 1 && document.querySelector('#inbox-list .note-title').textContent === 'Order cancelled'`, "the English search")
	c.fill("#inbox-search", "")
	c.do(chromedp.EmulateViewport(1280, 800))
	c.waitText("#inbox-list .note-title", "Order cancelled")
	c.axe("message center in English (desktop)")

	c.click("#lang")
	c.waitText("#inbox-list .note-title", "订单已取消")
	c.waitJS(`![...document.querySelectorAll('#inbox-list .note-title')].some((e) => /Order cancelled|Your booking/.test(e.textContent))`, "Chinese again")
	c.sameDocument()
	c.clean()
}
