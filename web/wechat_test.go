package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/config"
	"github.com/homebell/homebell/internal/model"
)

// TestY3BrowserWeChatTemplates: an operator maps "booking accepted" to a WeChat template on a
// phone in Chinese — kind, template id, page, two fields with their type limits shown as the key
// is typed, one of them a fixed text — sees it listed as the server stored it, edits it, then
// reads a customer's authorisations; the screen passes axe at phone/zh-CN and desktop/en.
func TestY3BrowserWeChatTemplates(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	key := s.srv.ServiceKey("platform")
	if r := s.srv.Do("PUT", "/v1/wechat/bindings/c-lin", key, map[string]any{"openid": "oLin-0123456789"}); r.Status != 201 {
		t.Fatalf("bind: %s", r)
	}
	if r := s.srv.Do("POST", "/v1/wechat/authorizations", key, map[string]any{"person_id": "c-lin", "report_id": "r-1",
		"results": map[string]string{"TPL_ACCEPTED": "accept"}}); r.Status != 200 {
		t.Fatalf("report: %s", r)
	}
	p := s.signIn("o-zhou")
	p.nav("#/wechat")
	p.waitText("#wx-list", "还没有映射")
	p.axe("operator WeChat templates, empty (phone, zh-CN)")

	p.fill("#wx-kind", "order.accepted")
	p.fill("#wx-template-id", "TPL_ACCEPTED")
	p.fill("#wx-page", "pages/order/detail?id={order_id}")
	p.fill("#wx-rows .wx-row:nth-child(1) .wx-key", "thing1")
	p.waitText("#wx-rows .wx-row:nth-child(1) .wx-limit", "最多 20 字")
	p.click("#wx-add-field")
	p.fill("#wx-rows .wx-row:nth-child(2) .wx-key", "phrase2")
	p.fill("#wx-rows .wx-row:nth-child(2) .wx-source", "text:")
	p.fill("#wx-rows .wx-row:nth-child(2) .wx-text", "已接单")
	p.waitText("#wx-rows .wx-row:nth-child(2) .wx-limit", "最多 5 字")
	p.click("#wx-save")
	p.waitText("#wx-list", "TPL_ACCEPTED")
	p.waitText("#toasts", "已保存")

	op := s.srv.Token("o-zhou", model.RoleOperator)
	var doc struct {
		Items []model.WeChatTemplate `json:"items"`
	}
	s.srv.Do("GET", "/v1/admin/wechat/templates", op, nil).Decode(t, &doc)
	if len(doc.Items) != 1 || doc.Items[0].Kind != "order.accepted" || doc.Items[0].Page != "pages/order/detail?id={order_id}" ||
		len(doc.Items[0].Fields) != 2 || doc.Items[0].Fields[1] != (model.WeChatField{Key: "phrase2", Source: "text:已接单"}) {
		t.Fatalf("stored: %+v", doc.Items)
	}
	if txt := p.text("#wx-list"); !containsAny(txt, "接单通知") || !containsAny(txt, "固定文字：已接单") {
		t.Errorf("the list shows %q", txt)
	}

	// Edit: the kind is taken, so the new-mapping form no longer offers it; editing keeps it.
	p.waitJS(`document.querySelector('#wx-kind') && !document.querySelector('#wx-kind option[value="order.accepted"]')`,
		"the new-mapping form, no longer offering the kind that has a mapping")
	p.click("#wx-list .wx-edit")
	p.waitJS(`document.querySelector('#wx-template-id').value === 'TPL_ACCEPTED'`, "the edit form")
	p.fill("#wx-title", "接单成功通知")
	p.click("#wx-save")
	p.waitText("#wx-list", "接单成功通知")

	// A refused mapping is explained in place.
	p.fill("#wx-template-id", "TPL_OTHER")
	p.fill("#wx-rows .wx-row:nth-child(1) .wx-key", "color1")
	p.waitText("#wx-rows .wx-row:nth-child(1) .wx-limit", "键名不是微信字段类型")
	p.click("#wx-save")
	p.waitJS(`document.querySelector('#wx-form .problem, #wx-form [role=alert]')`, "the refusal")

	p.fill("#wx-person", "c-lin")
	p.click("#wx-lookup")
	p.waitText("#wx-binding", "oLin-0123456789")
	p.waitText("#wx-balances", "剩余 1 次")
	p.axe("operator WeChat templates (phone, zh-CN)")
	p.shot("y3-operator-wechat")

	p.click("#lang")
	p.waitText("#wx-list", "Booking accepted")
	p.do(chromedp.EmulateViewport(1280, 800))
	p.axe("operator WeChat templates (desktop, en)")
	p.clean()
}

// TestY3BrowserWeChatInAChain: on a platform with WeChat configured, the operator puts WeChat in
// the time-change chain from the escalations screen (Y1, Y3); the step is offered between Web Push
// and the gateway, labelled in Chinese and in English, and the server stores the chain in that
// order — phone/zh-CN and desktop/en, axe clean.
func TestY3BrowserWeChatInAChain(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true, Config: func(c *config.Config) {
		// Nothing is sent here: the address is never called.
		c.WeChatAppID, c.WeChatSecret, c.WeChatAPI = "wx1234567890abcdef", "secret", "http://127.0.0.1:9"
	}})
	const rule = `#notice-chains fieldset[data-kind="schedule.change_requested"]`
	p := s.signIn("o-zhou")
	p.nav("#/escalations")
	p.waitJS(`document.querySelector('`+rule+` input[data-step="wechat"]')`, "the WeChat step of the time-change chain")
	if got := strings.Join(strings.Fields(p.text(rule+` [role=group]`)), ""); !strings.Contains(got, "浏览器推送微信订阅消息短信/App推送网关") {
		t.Errorf("the steps offered, in order: %q", got)
	}
	p.click(rule + ` input[data-step="wechat"]`)
	p.click("#chains-save")
	p.waitText("#toasts", "已保存")
	var doc struct {
		Rules []model.ChainRule `json:"rules"`
	}
	s.srv.Do("GET", "/v1/admin/notice-chains", s.srv.Token("o-zhou", model.RoleOperator), nil).Decode(t, &doc)
	for _, r := range doc.Rules {
		if r.Kind == "schedule.change_requested" && strings.Join(r.Steps, ",") != "webpush,wechat,gateway,operators" {
			t.Fatalf("stored chain: %v", r.Steps)
		}
	}
	p.axe("escalations, WeChat in a chain (phone, zh-CN)")
	p.click("#lang")
	p.waitText(rule, "WeChat")
	p.waitJS(`document.querySelector('`+rule+` input[data-step="wechat"]').checked`, "the WeChat step still ticked")
	p.do(chromedp.EmulateViewport(1280, 800))
	p.axe("escalations, WeChat in a chain (desktop, en)")
	p.sameDocument()
	p.clean()
}
