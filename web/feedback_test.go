package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/model"
)

// toastCount is how many toasts the page shows now.
func (p *page) toastCount() int {
	p.t.Helper()
	var n int
	p.eval(`document.querySelectorAll('.toast').length`, &n)
	return n
}

// TestToastsOneAtATimeNeverOverActions: two notices arriving together leave one toast (the
// newest), which covers none of the page's buttons, can be dismissed, and is gone after
// navigating; the screen with a toast passes axe-core (issue 15, items 4 and 5).
func TestToastsOneAtATimeNeverOverActions(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	at := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	id := s.order("c-lin", "", "daily-cleaning", at)
	customer := s.signIn("c-lin")
	customer.openOrder(id)

	if r := s.srv.Do("POST", "/v1/orders/"+id+"/accept", s.srv.Token("w-wang", model.RoleWorker), nil); r.Status != 200 {
		t.Fatalf("accept: %s", r)
	}
	if r := s.srv.Do("POST", "/v1/orders/"+id+"/time-changes", s.srv.Token("w-wang", model.RoleWorker),
		map[string]any{"new_time": at.Add(2 * time.Hour).UTC().Format(time.RFC3339), "reason": "上午有培训"}); r.Status != 201 {
		t.Fatalf("time change: %s", r)
	}
	customer.waitText(".toast", "对方申请变更服务时间")
	if n := customer.toastCount(); n != 1 {
		t.Errorf("%d toasts on screen; one at a time", n)
	}
	customer.waitJS(`document.querySelector('#change-accept')`, "the answer buttons")
	var covered []string
	customer.eval(`(() => {
		const t = document.querySelector('.toast').getBoundingClientRect();
		return [...document.querySelectorAll('#main button, #main a')].filter((b) => {
			const r = b.getBoundingClientRect();
			return r.width && r.height && r.left < t.right && r.right > t.left && r.top < t.bottom && r.bottom > t.top;
		}).map((b) => b.id || b.textContent);
	})()`, &covered)
	if len(covered) > 0 {
		t.Errorf("the toast covers %v", covered)
	}
	customer.axe("order page with a toast")
	customer.click(".toast-close")
	customer.waitJS(`!document.querySelector('.toast')`, "the toast to be dismissed")

	// Short: it goes by itself.
	customer.eval(`homebell.toastMs = { note: 300, ok: 300, error: 300 }; homebell.ok('已保存')`, nil)
	customer.waitJS(`!document.querySelector('.toast')`, "the toast to go by itself")
	customer.eval(`homebell.toastMs = { note: 600000, ok: 600000, error: 600000 }`, nil)

	// A toast does not follow the person to the next screen.
	customer.eval(`homebell.toast('还在吗', 'note')`, nil)
	customer.nav("#/inbox")
	if n := customer.toastCount(); n != 0 {
		t.Errorf("%d toasts carried over to the next screen", n)
	}
	customer.sameDocument()
	customer.clean()
}

// TestFailedRequestShowsTranslatedErrorNoSuccess: a request the server refuses shows the
// person's language — field and reason — never the API's English detail, and no success toast
// stays on screen above it (issue 15, item 4).
func TestFailedRequestShowsTranslatedErrorNoSuccess(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	id := s.order("c-lin", "w-wang", "daily-cleaning", time.Now().Add(72*time.Hour).Truncate(time.Hour))
	customer := s.signIn("c-lin")
	customer.openOrder(id)
	customer.eval(`homebell.ok('刚才的操作成功了')`, nil)
	customer.click("#open-time")
	customer.fill("#change-time", time.Now().Add(-48*time.Hour).In(shanghai()).Format("2006-01-02T15:04"))
	customer.fill("#change-reason", "有事")
	customer.click("#change-submit")
	customer.waitJS(`document.querySelector('#order-actions .problem')`, "the refusal")
	msg := customer.text("#order-actions .problem")
	if !strings.Contains(msg, "新的时间") || !strings.Contains(msg, "须晚于当前时间") {
		t.Errorf("the error reads %q; want the field and the reason in Chinese", msg)
	}
	for _, raw := range []string{"new_time", "must be", "future"} {
		if strings.Contains(msg, raw) {
			t.Errorf("the error shows the API's words %q: %q", raw, msg)
		}
	}
	if n := customer.toastCount(); n != 0 {
		t.Errorf("a toast (%q) stays on screen above the error", customer.text(".toast"))
	}
	customer.axe("order page with an error")

	// English too.
	customer.click("#lang")
	customer.waitText("#order-detail .status", "Accepted")
	customer.click("#open-time")
	customer.fill("#change-time", time.Now().Add(-48*time.Hour).In(shanghai()).Format("2006-01-02T15:04"))
	customer.fill("#change-reason", "busy")
	customer.click("#change-submit")
	customer.waitText("#order-actions .problem", "New time must be in the future")
	customer.clean()
}

// orderCount is how many orders the customer has, asked of the server.
func (s *stage) orderCount(customer string) int {
	s.t.Helper()
	var res struct {
		Items []map[string]any `json:"items"`
	}
	s.srv.Do("GET", "/v1/orders?limit=200", s.srv.Token(customer, model.RoleCustomer), nil).Decode(s.t, &res)
	return len(res.Items)
}

// TestBookingStartsEmptyAndConfirmsASummary: the booking form chooses nothing for the customer;
// one tap on submit places no order; a district alone is not an address; the service cards are a
// radio group; a summary (service, time, address, price) comes before the order is sent
// (issue 15, item 1).
func TestBookingStartsEmptyAndConfirmsASummary(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	s.newcomer()
	before := s.orderCount("c-xu")
	c := s.signIn("c-xu")
	c.nav("#/book")
	var state struct {
		Checked []string `json:"checked"`
		Address string   `json:"address"`
		Time    string   `json:"time"`
		Radios  int      `json:"radios"`
	}
	c.eval(`({ checked: [...document.querySelectorAll('#book-items [role=radio][aria-checked=true]')].map((e) => e.dataset.item),
		address: document.querySelector('#book-address').value, time: document.querySelector('#book-time').value,
		radios: document.querySelectorAll('#book-items[role=radiogroup] [role=radio]').length })`, &state)
	if len(state.Checked) != 0 || state.Address != "" || state.Time != "" || state.Radios < 3 {
		t.Errorf("the form does not start empty (or the cards are no radio group): %+v", state)
	}
	c.axe("booking form")

	// One tap on submit: nothing is sent; each missing piece is named.
	c.click("#book-submit")
	c.waitText("#book-item-error", "请选择服务项目")
	c.waitText("#book-address-error", "请填写服务地址")
	c.waitText("#book-time-error", "请选择预约时间")
	c.axe("booking form with errors")

	// Keyboard: arrows move the choice within the group.
	c.eval(`document.querySelector('#book-items [role=radio]').focus()`, nil)
	c.eval(`document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }))`, nil)
	var second string
	c.eval(`document.querySelector('#book-items [aria-checked=true]')?.dataset.item || ''`, &second)
	if second == "" {
		t.Errorf("ArrowDown chose nothing")
	}
	c.click(`[data-item="deep-cleaning"]`)
	c.waitText("#book-chosen", "深度保洁")
	c.fill("#book-address", "浦东新区 ")
	day := time.Now().Add(48 * time.Hour).In(shanghai()).Format("2006-01-02")
	c.fill("#book-time", day+"T10:00")
	c.click("#book-submit")
	c.waitText("#book-address-error", "请写到街道和门牌号")
	if n := s.orderCount("c-xu"); n != before {
		t.Fatalf("an order was placed with a district for an address (%d → %d)", before, n)
	}

	c.fill("#book-address", "浦东新区世纪大道 100 号 2 栋 1203")
	c.click("#book-submit")
	c.waitText("#book-summary", "深度保洁")
	c.waitText("#book-summary", "世纪大道 100 号 2 栋 1203")
	c.waitText("#book-summary", "¥450.00")
	c.waitText("#book-summary", "10:00")
	c.axe("booking summary")
	c.quietShot("17-book-summary")
	if n := s.orderCount("c-xu"); n != before {
		t.Fatalf("the order was sent before it was confirmed")
	}
	c.click("#book-confirm")
	c.waitJS(`location.hash.startsWith('#/orders/') && document.querySelector('#order-detail .status')`, "the new order's page")
	c.waitText(".toast", "预约已提交")
	if n := s.orderCount("c-xu"); n != before+1 {
		t.Errorf("%d orders placed; want 1", n-before)
	}
	c.clean()
}
