package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/homebell/homebell/internal/app/apptest"
)

// hasKind tells whether the settings form offers a switch for kind.
func (p *page) hasKind(form, kind string) bool {
	p.t.Helper()
	var ok bool
	p.eval(fmt.Sprintf(`!!document.querySelector('#%s-form input[data-kind=%s]')`, form, js(kind)), &ok)
	return ok
}

// TestS1BrowserSettingsListOnlyTheRolesKinds: a customer's and a worker's settings offer only the
// kinds their role can receive (no operator kinds such as Webhook 端点暂停 or 取消申请); an
// operator's own settings offer theirs, and the platform defaults every kind (issue 15 item 10).
func TestS1BrowserSettingsListOnlyTheRolesKinds(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	cases := []struct {
		who, hash, form string
		want, not       []string
	}{
		{"c-lin", "#/settings", "prefs", []string{"order.accepted", "refund.settled", "platform.promotion", "chat.message"},
			[]string{"webhook.endpoint_paused", "order.cancellation_requested", "order.assigned", "support.rated_low", "review.received"}},
		{"w-wang", "#/settings", "prefs", []string{"order.assigned", "worker.removed", "review.received", "chat.message"},
			[]string{"webhook.endpoint_paused", "order.cancellation_requested", "order.accepted", "platform.promotion"}},
		{"o-zhou", "#/settings", "prefs", []string{"webhook.endpoint_paused", "order.cancellation_requested", "schedule.change_escalated"},
			[]string{"order.accepted", "platform.promotion", "chat.message"}},
		{"o-zhou", "#/platform", "defaults", []string{"webhook.endpoint_paused", "order.accepted", "platform.promotion", "order.assigned"}, nil},
	}
	for _, c := range cases {
		p := s.signIn(c.who)
		p.nav(c.hash)
		p.waitJS(fmt.Sprintf(`document.querySelector('#%s-form input[data-kind]')`, c.form), "the kinds of "+c.hash)
		for _, k := range c.want {
			if !p.hasKind(c.form, k) {
				t.Errorf("%s %s: no switch for %s, which this role receives", c.who, c.hash, k)
			}
		}
		for _, k := range c.not {
			if p.hasKind(c.form, k) {
				t.Errorf("%s %s: a switch for %s, which this role never receives", c.who, c.hash, k)
			}
		}
		if c.form == "prefs" && c.who == "c-lin" {
			p.eval(`document.querySelectorAll('#prefs-form details.kinds').forEach((d) => { d.open = true; })`, nil)
			if txt := p.text("#prefs-form"); containsAny(txt, "Webhook 端点暂停", "取消申请") {
				t.Errorf("customer settings show an operator kind: %q", txt)
			}
			p.axe("customer settings, kinds open (phone, zh-CN)")
			p.click("#lang")
			p.waitText("#prefs-form", "Booking accepted")
			p.do(chromedp.EmulateViewport(1280, 800))
			p.axe("customer settings, kinds open (desktop, en)")
		}
		p.clean()
	}
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}
