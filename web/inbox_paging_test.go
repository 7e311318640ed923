package web_test

import (
	"testing"
	"time"

	"github.com/homebell/homebell/internal/app/apptest"
)

// TestS4BrowserMessageCenterPagesByCursor: 加载更多 shows only while there is a next page, is
// really hidden (no CSS overrides its hidden attribute), is absent under the empty state, and
// each click appends the next page by the cursor — never the first page again (issue 15 item 3).
func TestS4BrowserMessageCenterPagesByCursor(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	s.newcomer()
	at := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	for i := range 33 { // 33 acceptances: a page of 30 and 3 more
		s.order("c-xu", "w-wang", "deep-cleaning", at.Add(time.Duration(i)*3*time.Hour))
	}
	c := s.signIn("c-xu")
	c.nav("#/inbox")
	const shown = `(() => { const m = document.querySelector('#inbox-more'); return m && getComputedStyle(m).display !== 'none' && m.offsetParent !== null; })()`
	const gone = `(() => { const m = document.querySelector('#inbox-more'); return m && m.hidden && getComputedStyle(m).display === 'none'; })()`
	const distinct = `new Set([...document.querySelectorAll('#inbox-list .note')].map((e) => e.dataset.id)).size`
	c.waitJS(`document.querySelectorAll('#inbox-list .note').length === 30 && `+shown, "the first page of 30 and 加载更多")
	c.click("#inbox-more")
	c.waitJS(`document.querySelectorAll('#inbox-list .note').length === 33 && `+distinct+` === 33`, "33 distinct messages after one more page")
	c.waitJS(gone, "加载更多 hidden: no next page")

	// A filter with nothing in it: the empty state and no 加载更多 under it.
	c.click(`.chip[data-category="platform"]`)
	c.waitText("#inbox-list", "没有消息")
	c.waitJS(`document.querySelectorAll('#inbox-list .note').length === 0 && `+gone, "no 加载更多 under the empty state")
	c.axe("message center, empty category")

	// Back to all: the first page again (replaced, not appended), 加载更多 back.
	c.click(`.chip[data-category=""]`)
	c.waitJS(`document.querySelectorAll('#inbox-list .note').length === 30 && `+distinct+` === 30 && `+shown, "the first page again")
	c.sameDocument()
	c.clean()
}
