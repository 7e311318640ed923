package web_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/model"
)

// startVisit takes an accepted order through the door over the API (Y4): the worker checks in,
// the customer's order shows the start code, the worker starts with it.
func (s *stage) startVisit(id, worker string) {
	s.t.Helper()
	wt := s.srv.Token(worker, model.RoleWorker)
	if r := s.srv.Do("POST", "/v1/orders/"+id+"/check-in", wt, nil); r.Status != 200 {
		s.t.Fatalf("check-in: %s", r)
	}
	o := s.srv.Do("GET", "/v1/orders/"+id, wt, nil)
	c := s.srv.Do("GET", "/v1/orders/"+id, s.srv.Token(o.Str("customer_id"), model.RoleCustomer), nil)
	v, _ := c.JSON["visit"].(map[string]any)
	code, _ := v["start_code"].(string)
	if r := s.srv.Do("POST", "/v1/orders/"+id+"/start", wt, map[string]any{"code": code}); r.Status != 200 {
		s.t.Fatalf("start: %s", r)
	}
}

// TestY4BrowserWholeVisit: the customer (phone, Chinese) and the worker (desktop, English) have
// the order open at once through a whole visit: the worker sets out with an estimate and the
// customer sees "on the way" and the time live; the worker checks in and the customer sees
// "arrived" and the start code; a wrong code is refused in the worker's language, the right one
// starts the service on both screens; the worker completes with a photo taken there and the
// customer sees it with the completion. axe-core checks each screen.
func TestY4BrowserWholeVisit(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	id := s.order("c-lin", "w-wang", "daily-cleaning", time.Now().Add(20*time.Minute))
	customer := s.signIn("c-lin")
	worker := s.signIn("w-wang")
	worker.click("#lang")
	worker.waitText("nav", "Open orders")
	worker.do(chromedp.EmulateViewport(1280, 800))
	customer.openOrder(id)
	worker.openOrder(id)
	customer.waitText("#order-visit", "上门进度")
	worker.waitText("#order-visit", "The visit")

	// On the way, arriving in 15 minutes.
	worker.click("#open-onway")
	worker.fill("#onway-minutes", "15")
	worker.axe("the worker's on-the-way form (desktop, en)")
	worker.click("#onway-submit")
	worker.waitText(".toast", "The customer knows you are on the way")
	customer.waitText(".toast", "王阿姨 已出发")
	customer.waitJS(`document.querySelector('#order-visit')?.dataset.state === 'on_the_way'`, "on the way")
	customer.waitText("#visit-eta", "预计")
	customer.waitText("#visit-steps [aria-current=step]", "已出发")
	customer.axe("the customer's visit on the way (phone, zh-CN)")

	// At the door: the customer sees the code, the worker never does.
	worker.click("#order-checkin")
	customer.waitJS(`/^\d{4}$/.test(document.querySelector('#visit-code')?.textContent || '')`, "the start code")
	customer.waitText("#visit-steps [aria-current=step]", "已到达")
	customer.waitText(".toast", "王阿姨 已到达")
	code := customer.text("#visit-code")
	customer.axe("the customer's start code (phone, zh-CN)")
	customer.quietShot("y4-01-customer-start-code")
	worker.waitText("#order-visit", "Ask the customer for the start code")
	if txt := worker.text("#order-detail"); regexp.MustCompile(`\b` + code + `\b`).MatchString(txt) {
		t.Errorf("the worker's page shows the start code %s", code)
	}

	// A wrong code is refused in English; the right one starts the service on both screens.
	wrong := "0000"
	if code == wrong {
		wrong = "9999"
	}
	worker.click("#open-start")
	worker.fill("#start-code", wrong)
	worker.click("#start-submit")
	worker.waitText("#order-actions", "That start code is wrong")
	worker.fill("#start-code", code)
	worker.click("#start-submit")
	worker.waitText("#order-detail .status", "In service")
	customer.waitText("#order-detail .status", "服务中")
	customer.waitText("#visit-steps [aria-current=step]", "服务中")

	// Completion with a photo taken at the door.
	worker.click("#open-complete")
	worker.do(chromedp.SetUploadFiles(chromedp.CSS("#photos-after"), []string{samplePNG(t)}))
	worker.waitJS(`document.querySelector('#photos-after-list [data-file]')`, "the uploaded photo")
	worker.axe("the worker's completion with photos (desktop, en)")
	worker.eval(`document.querySelector('#complete-submit').scrollIntoView({ block: 'end' })`, nil)
	worker.quietShot("y4-02-worker-complete-photos-desktop")
	worker.click("#complete-submit")
	worker.waitText("#order-detail .status", "Completed")
	customer.waitText("#order-detail .status", "已完成")
	customer.waitText("#order-visit", "服务照片（1 张）")
	customer.waitJS(`document.querySelector('#visit-photos img')?.src?.startsWith('blob:')`, "the photo, loaded")
	customer.waitText(".toast", "服务已完成")
	customer.waitText("#visit-steps [aria-current=step]", "已完成")
	customer.axe("the customer's completed visit with photos (phone, zh-CN)")
	customer.quietShot("y4-03-customer-photos")
	for _, p := range []*page{customer, worker} {
		p.sameDocument()
		p.clean()
	}
}

// TestY4BrowserNoStartDaysEarly (#15 item 7): a worker who opens an order booked for the day
// after tomorrow and taps 到达打卡 is told, in their language, that the service can only start
// around the appointment; the order stays accepted and no start form appears.
func TestY4BrowserNoStartDaysEarly(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	id := s.order("c-lin", "w-wang", "daily-cleaning", time.Now().Add(50*time.Hour))
	worker := s.signIn("w-wang")
	worker.openOrder(id)
	worker.waitText("#order-visit", "上门进度")
	worker.click("#order-checkin")
	worker.waitText("#order-actions", "不在可开始服务的时间内")
	worker.axe("the worker refused a check-in days early (phone, zh-CN)")
	if st := worker.text("#order-detail .status"); st == "服务中" || st == "已完成" {
		t.Errorf("the order's status after an early check-in: %q", st)
	}
	var offered bool
	worker.eval(`document.querySelector('#open-start') !== null`, &offered)
	if offered {
		t.Errorf("a start form is offered days before the appointment")
	}
	wt := s.srv.Token("w-wang", model.RoleWorker)
	if o := s.srv.Do("GET", "/v1/orders/"+id, wt, nil); o.Str("status") != "accepted" {
		t.Errorf("the order is %q after the early check-in, want accepted", o.Str("status"))
	}
	worker.sameDocument()
	worker.clean()
}
