package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/model"
)

// TestS2BrowserWindowAllDayAndZonePicker: a receiving window of 09:00–09:00 is explained as all
// day (before and when saving), and the time zone is a picker of IANA zones with Asia/Shanghai
// first, not free text; in zh-CN and en, phone and desktop, axe clean (issue 15 item 10).
func TestS2BrowserWindowAllDayAndZonePicker(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	c := s.signIn("c-lin")
	c.nav("#/settings")
	c.waitJS(`document.querySelector('#prefs-tz').tagName === 'SELECT' && document.querySelector('#prefs-tz').options[0].value === 'Asia/Shanghai'`, "a zone picker, Asia/Shanghai first")
	c.waitJS(`document.querySelector('#prefs-window-allday').hidden`, "no all-day note for a real window")

	c.eval(`(() => { const b = document.querySelector('#prefs-window-on'); if (!b.checked) b.click(); })()`, nil)
	c.fill("#prefs-window-start", "09:00")
	c.fill("#prefs-window-end", "09:00")
	c.waitJS(`!document.querySelector('#prefs-window-allday').hidden && document.querySelector('#prefs-window-allday').offsetParent !== null`, "the all-day note")
	c.waitText("#prefs-window-allday", "全天都会提醒您")
	c.fill("#prefs-tz", "Asia/Tokyo")
	c.axe("settings, all-day window (phone, zh-CN)")
	c.click("#prefs-save")
	c.waitText("#prefs-saved", "全天")
	r := s.srv.Do("GET", "/v1/me/preferences", s.srv.Token("c-lin", model.RoleCustomer), nil)
	if r.Str("time_zone") != "Asia/Tokyo" {
		t.Errorf("time zone saved: %s", r)
	}

	c.fill("#prefs-window-end", "18:00")
	c.waitJS(`document.querySelector('#prefs-window-allday').hidden`, "the note gone for 09:00–18:00")
	c.click("#lang")
	c.waitText("#main h1", "Notification settings")
	c.waitJS(`document.querySelector('#prefs-tz').value === 'Asia/Tokyo'`, "the saved zone picked")
	c.fill("#prefs-window-end", "09:00")
	c.waitText("#prefs-window-allday", "you are alerted all day")
	c.do(chromedp.EmulateViewport(1280, 800))
	c.axe("settings, all-day window (desktop, en)")
	c.sameDocument()
	c.clean()
}
