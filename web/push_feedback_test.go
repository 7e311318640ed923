package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/homebell/homebell/internal/app/apptest"
)

// TestPushButtonSaysWhatHappened: 开启浏览器推送 always answers in the person's language — the
// browser blocks notifications (with where to allow them), the prompt is dismissed, or the
// browser has no push at all (no button, a note instead) — at phone and desktop width, axe clean
// (issue 15 item 13). The browser's answers are stubbed: headless Chromium cannot be made to
// click a permission prompt.
func TestPushButtonSaysWhatHappened(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	c := s.signIn("c-lin")
	c.nav("#/settings")

	// Blocked: the prompt answers "denied".
	c.eval(`Notification.requestPermission = async () => 'denied'`, nil)
	c.click("#push-enable")
	c.waitText("#push-status", "浏览器已阻止本站的通知")
	c.waitText("#push-status", "网站设置")
	c.axe("settings, push blocked (phone, zh-CN)")

	// Dismissed: the prompt was closed.
	c.eval(`Notification.requestPermission = async () => 'default'`, nil)
	c.click("#push-enable")
	c.waitText("#push-status", "您没有允许通知，推送未开启")

	c.click("#lang")
	c.waitText("#main h1", "Notification settings")
	c.eval(`Notification.requestPermission = async () => 'denied'`, nil)
	c.click("#push-enable")
	c.waitText("#push-status", "The browser blocks notifications from this site")
	c.do(chromedp.EmulateViewport(1280, 800))
	c.axe("settings, push blocked (desktop, en)")

	// A browser without push: a note, no button that does nothing.
	c.eval(`delete globalThis.PushManager`, nil)
	c.nav("#/orders")
	c.nav("#/settings")
	c.waitText("#push-card", "This browser cannot receive push notifications")
	c.waitJS(`!document.querySelector('#push-enable')`, "no push button without push")
	c.click("#lang")
	c.waitText("#push-card", "此浏览器不支持推送通知")
	c.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	c.axe("settings, no push (phone, zh-CN)")
	c.sameDocument()
	c.clean()
}
