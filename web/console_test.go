package web_test

import (
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/model"
)

// TestE2BrowserWorkerChangeReachesApprovals: a customer asks for another worker; the form closes
// and the order shows the request as pending; the operator's open approvals page shows it live
// with the appointment time, the menu badge counts it, and reassigning from there settles it —
// the customer sees the new worker (E2; issue 15 item 6).
func TestE2BrowserWorkerChangeReachesApprovals(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	at := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	id := s.order("c-lin", "w-wang", "deep-cleaning", at)
	customer := s.signIn("c-lin")
	operator := s.signIn("o-zhou")
	operator.nav("#/approvals")
	var before int
	operator.eval(`document.querySelectorAll('#approvals-list .approval').length`, &before)
	customer.openOrder(id)

	customer.click("#open-worker")
	customer.fill("#worker-reason", "沟通不太顺畅")
	customer.click("#worker-reason-submit")
	customer.waitText("#worker-change-pending", "已申请更换服务人员")
	customer.waitText("#worker-change-pending", "沟通不太顺畅")
	customer.waitJS(`!document.querySelector('#open-worker') && !document.querySelector('#worker-reason')`, "the form to close (it cannot be sent twice)")
	customer.axe("order with a pending worker change")

	operator.waitJS(`document.querySelector('#approvals-list [data-type="worker_change"][data-order="`+id+`"]')`, "the request in approvals")
	row := `#approvals-list [data-type="worker_change"][data-order="` + id + `"]`
	operator.waitText(row, "沟通不太顺畅")
	operator.waitText(row, "林晓")
	operator.waitJS(`document.querySelector('`+row+`').textContent.includes(homebell.i18n.time(`+js(at.UTC().Format(time.RFC3339))+`))`, "the appointment time on the card")
	operator.waitJS(`Number(document.querySelector('.nav-badge[data-badge="approvals"]').dataset.count) === `+itoa(before+1), "the approvals badge")
	operator.axe("approvals with a worker change")
	operator.quietShot("18-operator-approvals-worker-change")

	operator.fill(row+` .assign-worker`, "w-zhao")
	operator.click(row + ` .reassign`)
	operator.waitJS(`!document.querySelector('`+row+`')`, "the request to be settled")
	operator.waitJS(`Number(document.querySelector('.nav-badge[data-badge="approvals"]').dataset.count || 0) === `+itoa(before), "the badge to count down")
	customer.waitText(".people-card", "赵师傅")
	customer.waitJS(`!document.querySelector('#worker-change-pending')`, "the pending card to go")
	customer.sameDocument()
	customer.clean()
	operator.clean()
}

// consoleRows is what the console's table shows now: each row's order, status, appointment,
// item and area.
type consoleRow struct {
	Order, Status, At, Item, Area, Text string
}

func (p *page) consoleRows() []consoleRow {
	p.t.Helper()
	var rows []consoleRow
	p.eval(`[...document.querySelectorAll('#console-rows tr.console-row')].map((r) => ({Order: r.dataset.order, Status: r.dataset.status,
		At: r.dataset.at, Item: r.dataset.item, Area: r.dataset.area, Text: r.textContent}))`, &rows)
	return rows
}

// consoleSettled waits until the console shows the answer to what was last asked (the summary
// counts it) and returns the rows.
func (p *page) consoleSettled(what string, ok string) []consoleRow {
	p.t.Helper()
	p.waitJS(`document.querySelector('#console-summary')?.dataset.count !== undefined && (`+ok+`)`, what)
	return p.consoleRows()
}

// TestConsoleBrowserOrdersTable: at desktop width the operator's orders are a dense table (not
// cards) with status tabs and their counts, search by order id, worker, customer and address,
// filters by service item, area and appointment dates, sort by appointment both ways and paging
// that neither repeats nor loses an order; a new booking shows up live, counted; the chosen view
// survives opening an order and going back. zh-CN and en, desktop and phone, axe clean (issue 15).
func TestConsoleBrowserOrdersTable(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	base := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	var ids []string
	for i := 0; i < 22; i++ {
		ids = append(ids, s.order("c-lin", "", "daily-cleaning", base.Add(time.Duration(i)*time.Hour)))
	}
	taken := s.order("c-lin", "w-wang", "deep-cleaning", base.Add(30*time.Hour))
	far := base.Add(10 * 24 * time.Hour)
	op := s.srv.Token("o-zhou", model.RoleOperator)
	r := s.srv.Do("POST", "/v1/orders", s.srv.Token("c-emma", model.RoleCustomer), map[string]any{"service_item_id": "nanny",
		"address": "静安区愚园路 77 号 3 楼", "appointment_at": far.UTC().Format(time.RFC3339)})
	if r.Status != 201 {
		t.Fatalf("book: %s", r)
	}
	jingan := r.Str("id")
	var all struct {
		Counts map[string]int `json:"counts"`
	}
	s.srv.Do("GET", "/v1/orders?counts=true", op, nil).Decode(t, &all)
	total := 0
	for _, n := range all.Counts {
		total += n
	}

	o := s.signIn("o-zhou")
	o.do(chromedp.EmulateViewport(1280, 800))
	o.nav("#/orders")
	rows := o.consoleSettled("the table", `document.querySelectorAll('#console-rows tr.console-row').length === 20`)
	o.waitJS(`getComputedStyle(document.querySelector('#console-table thead')).position !== 'absolute' && document.querySelector('#console-table').getBoundingClientRect().width > 900`, "a full-width table with its header at desktop width")
	o.waitJS(`document.querySelector('.status-tab[data-status=""] .tab-count').dataset.count === '`+itoa(total)+`'`, "the 全部 tab to count every order")
	o.waitJS(`document.querySelector('.status-tab[data-status="pending"] .tab-count').dataset.count === '`+itoa(all.Counts["pending"])+`'`, "the pending tab's count")
	if rows[0].Order != jingan {
		t.Errorf("newest booking first: first row %s, want %s", rows[0].Order, jingan)
	}
	o.axe("operator console (desktop, zh-CN)")
	o.quietShot("23-operator-console-desktop")

	// Paging follows the cursor: every order once, and back again.
	seen := map[string]bool{}
	for page := 1; ; page++ {
		for _, r := range rows {
			if seen[r.Order] {
				t.Fatalf("page %d repeats order %s", page, r.Order)
			}
			seen[r.Order] = true
		}
		var more bool
		o.eval(`!document.querySelector('#console-next').disabled`, &more)
		if !more || page > 20 {
			break
		}
		first := rows[0].Order
		o.click("#console-next")
		rows = o.consoleSettled("the next page", `document.querySelector('#console-rows tr')?.dataset.order !== '`+first+`' && document.querySelector('#console-page').textContent.includes('`+itoa(page+1)+`')`)
	}
	if len(seen) != total {
		t.Errorf("the pages showed %d orders, want %d", len(seen), total)
	}
	o.click("#console-prev")
	o.waitText("#console-page", "第")

	// Status tab.
	o.click(`.status-tab[data-status="accepted"]`)
	rows = o.consoleSettled("the accepted tab", `document.querySelector('.status-tab[data-status="accepted"]').getAttribute('aria-pressed') === 'true' && [...document.querySelectorAll('#console-rows tr.console-row')].every((r) => r.dataset.status === 'accepted')`)
	if len(rows) != all.Counts["accepted"] || len(rows) == 0 {
		t.Errorf("accepted tab: %d rows, want %d", len(rows), all.Counts["accepted"])
	}
	o.click(`.status-tab[data-status=""]`)

	// Search: the order id, the worker, the address.
	search := func(q, what, ok string) []consoleRow {
		t.Helper()
		o.fill("#console-q", q)
		o.click("#console-apply")
		return o.consoleSettled(what, ok)
	}
	rows = search(ids[5], "search by order id", `document.querySelectorAll('#console-rows tr.console-row').length === 1`)
	if rows[0].Order != ids[5] {
		t.Errorf("search by order id found %v", rows)
	}
	rows = search("愚园路", "search by address", `[...document.querySelectorAll('#console-rows tr.console-row')].every((r) => r.dataset.order === '`+jingan+`')`)
	if len(rows) != 1 {
		t.Errorf("search by address: %v", rows)
	}
	rows = search("王阿姨", "search by worker", `document.querySelector('#console-rows tr.console-row[data-order="`+taken+`"]') && [...document.querySelectorAll('#console-rows tr.console-row')].every((r) => r.textContent.includes('王阿姨'))`)
	o.waitJS(`document.querySelector('.status-tab[data-status=""] .tab-count').dataset.count === '`+itoa(len(rows))+`' || document.querySelectorAll('#console-rows tr.console-row').length === 20`, "the tab counts to follow the search")
	rows = search("没有这样的订单", "no match", `document.querySelector('#console-rows .empty')`)
	o.waitText("#console-rows", "没有符合条件的订单")
	o.click("#console-reset")
	o.consoleSettled("the reset", `document.querySelectorAll('#console-rows tr.console-row').length === 20 && document.querySelector('#console-q').value === ''`)

	// Filters: service item, area, appointment dates.
	o.eval(`(() => { const s = document.querySelector('#console-item'); s.value = 'deep-cleaning'; s.dispatchEvent(new Event('change')); })()`, nil)
	rows = o.consoleSettled("the item filter", `[...document.querySelectorAll('#console-rows tr.console-row')].every((r) => r.dataset.item === 'deep-cleaning') && document.querySelector('#console-rows tr.console-row[data-order="`+taken+`"]')`)
	o.click("#console-reset")
	o.fill("#console-area", "静安区")
	o.click("#console-apply")
	o.consoleSettled("the area filter", `[...document.querySelectorAll('#console-rows tr.console-row')].length > 0 && [...document.querySelectorAll('#console-rows tr.console-row')].every((r) => r.dataset.area === '静安区') && document.querySelector('#console-rows tr.console-row[data-order="`+jingan+`"]')`)
	o.click("#console-reset")
	day := far.In(shanghai()).Format("2006-01-02")
	o.fill("#console-from", day)
	o.fill("#console-to", day)
	rows = o.consoleSettled("the date filter", `document.querySelectorAll('#console-rows tr.console-row').length >= 1 && [...document.querySelectorAll('#console-rows tr.console-row')].every((r) => new Date(r.dataset.at).toLocaleDateString('sv', {timeZone: 'Asia/Shanghai'}) === '`+day+`')`)
	if len(rows) < 1 || rows[0].Order != jingan {
		t.Errorf("appointments on %s: %v", day, rows)
	}
	o.click("#console-reset")

	// Sort by appointment, soonest first, then latest first.
	sorted := func(dir string) string {
		return `document.querySelectorAll('#console-rows tr.console-row').length === 20 && document.querySelector('#console-th-appt').getAttribute('aria-sort') === '` + dir + `' &&
			[...document.querySelectorAll('#console-rows tr.console-row')].every((r, i, a) => i === 0 || (Date.parse(a[i-1].dataset.at) ` + map[string]string{"ascending": "<=", "descending": ">="}[dir] + ` Date.parse(r.dataset.at)))`
	}
	o.click("#console-sort-appt")
	o.consoleSettled("soonest first", sorted("ascending"))
	o.click("#console-sort-appt")
	rows = o.consoleSettled("latest first", sorted("descending"))
	if rows[0].Order != jingan {
		t.Errorf("latest appointment first: %s, want %s", rows[0].Order, jingan)
	}

	// Live: a new booking appears in the table and the counts without a reload.
	o.click("#console-reset")
	o.consoleSettled("the reset", `document.querySelectorAll('#console-rows tr.console-row').length === 20`)
	fresh := s.order("c-lin", "", "daily-cleaning", base.Add(5*24*time.Hour))
	o.waitJS(`document.querySelector('#console-rows tr.console-row')?.dataset.order === '`+fresh+`'`, "the new order at the top, live")
	o.waitJS(`document.querySelector('.status-tab[data-status=""] .tab-count').dataset.count === '`+itoa(total+1)+`'`, "the count to go up")

	// The chosen view survives opening an order and going back.
	o.fill("#console-q", "王阿姨")
	o.click("#console-apply")
	o.consoleSettled("search by worker", `document.querySelector('#console-rows tr.console-row[data-order="`+taken+`"]')`)
	o.click(`#console-rows tr[data-order="` + taken + `"] a.order-id`)
	o.waitJS(`document.querySelector('#order-detail .status')`, "the order page")
	o.click("a.back")
	o.waitJS(`document.querySelector('#console-q')?.value === '王阿姨' && document.querySelector('#console-rows tr.console-row[data-order="`+taken+`"]')`, "the console as it was left")

	// English, then a phone: the rows fold into cards, still axe clean.
	o.click("#console-reset")
	o.click("#lang")
	o.waitText(".status-tab", "All")
	o.consoleSettled("the table in English", `document.querySelectorAll('#console-rows tr.console-row').length === 20`)
	o.waitText("#console-summary", "orders")
	o.axe("operator console (desktop, en)")
	o.quietShot("23-operator-console-desktop-en")
	o.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	o.waitJS(`getComputedStyle(document.querySelector('#console-rows tr.console-row')).display === 'block'`, "rows as cards on a phone")
	o.axe("operator console (phone, en)")
	o.quietShot("23-operator-console-phone-en")
	o.sameDocument()
	o.clean()
}

// TestBrowserMyOrdersStatusTabs: a customer's orders and a worker's schedule have status tabs
// with counts (only the statuses they have), all orders latest appointment first, those still to
// come soonest first (a worker's schedule opens on them), and an empty state that says what will appear and how — at phone width
// in Chinese and at desktop width in English, axe clean (issue 15, order lists).
func TestBrowserMyOrdersStatusTabs(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	s.newcomer()
	fresh := s.open("c-xu-empty")
	fresh.click(`[data-person="c-xu"]`)
	fresh.waitJS(`document.querySelector('#main .view[data-ready]')`, "the app")
	fresh.nav("#/orders")
	fresh.waitText("#orders-list .empty", "在「预约」选好服务和时间")
	fresh.axe("my orders, none yet")
	fresh.clean()

	base := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	soon := s.order("c-xu", "w-wang", "daily-cleaning", base)
	later := s.order("c-xu", "", "deep-cleaning", base.Add(72*time.Hour))
	c := s.signIn("c-xu")
	c.nav("#/orders")
	c.waitJS(`document.querySelectorAll('#orders-list .order-card').length === 2`, "two orders")
	var first string
	c.eval(`document.querySelector('#orders-list .order-card').dataset.order`, &first)
	if first != later {
		t.Errorf("the customer's list starts with %s, want the latest appointment %s", first, later)
	}
	c.waitJS(`document.querySelector('.status-tab[data-status=""] .tab-count').dataset.count === '2' &&
		document.querySelector('.status-tab[data-status="accepted"] .tab-count').dataset.count === '1' &&
		document.querySelector('.status-tab[data-status="completed"]').hidden`, "the tabs and their counts (only statuses the customer has)")
	c.click(`.status-tab[data-status="accepted"]`)
	c.waitJS(`document.querySelectorAll('#orders-list .order-card').length === 1 && document.querySelector('#orders-list .order-card').dataset.order === '`+soon+`'`, "the accepted tab")
	c.axe("my orders, accepted tab (phone)")
	c.do(chromedp.EmulateViewport(1280, 800))
	c.click("#lang")
	c.waitText(".status-tab", "All")
	c.axe("my orders (desktop, en)")
	c.clean()

	wLater := s.order("c-xu", "w-wang", "nanny", base.Add(24*time.Hour))
	w := s.signIn("w-wang")
	w.nav("#/orders")
	w.waitJS(`document.querySelector('.status-tab[data-status="accepted"]').getAttribute('aria-pressed') === 'true' && document.querySelector('#orders-list [data-order="`+wLater+`"]')`, "the worker's schedule, on what they accepted")
	var order []string
	w.eval(`[...document.querySelectorAll('#orders-list .order-card')].map((c) => c.dataset.order)`, &order)
	if i, j := slices.Index(order, soon), slices.Index(order, wLater); i < 0 || j < i {
		t.Errorf("the worker's schedule is not soonest first: %v (want %s before %s)", order, soon, wLater)
	}
	w.axe("worker schedule with tabs")
	w.clean()
}
