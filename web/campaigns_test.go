package web_test

import (
	"testing"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/model"
)

// TestP1BrowserOperatorSendsPromotionCustomerSeesLive: an operator writes a promotion in both
// languages for an item, with a spend-and-save rule and an audience by area (estimate shown),
// previews it as a customer would see it and sends it; 林晓, whose message center is open, sees
// it arrive live under 平台资讯 and opens its detail (period, items, rules); Emma, in the audience
// but with platform news switched off, never sees it; the operator's list shows its stats (P1, S1).
func TestP1BrowserOperatorSendsPromotionCustomerSeesLive(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	if r := s.srv.Do("PUT", "/v1/me/preferences", s.srv.Token("c-emma", model.RoleCustomer),
		map[string]any{"categories": map[string]bool{"platform": false}}); r.Status != 200 {
		t.Fatalf("%s", r)
	}
	lin := s.signIn("c-lin")
	lin.nav("#/inbox")
	lin.click(`.chip[data-category="platform"]`)
	emma := s.signIn("c-emma")
	emma.nav("#/inbox")

	op := s.signIn("o-zhou")
	op.nav("#/campaigns")
	op.fill("#cmp-title-zh", "浦东静安保洁周")
	op.fill("#cmp-title-en", "Cleaning week")
	op.fill("#cmp-body-zh", "日常保洁限时优惠，欢迎预约。")
	op.fill("#cmp-body-en", "A limited offer on daily cleaning.")
	op.click(`.cmp-item[data-item="daily-cleaning"]`)
	op.fill("#cmp-threshold", "200")
	op.fill("#cmp-save", "30")
	op.fill("#cmp-audience", "areas")
	op.fill("#cmp-areas", "浦东新区, 静安区")
	op.waitJS(`Number(document.querySelector('#cmp-estimate').dataset.count) >= 2`, "the audience estimate")
	op.waitJS(`(e => Number(e.dataset.reachable) >= 1 && Number(e.dataset.reachable) <= Number(e.dataset.count) && e.textContent.includes('会看到'))(document.querySelector('#cmp-estimate'))`, "how many of the audience will see it")
	op.waitText("#cmp-preview", "浦东静安保洁周")
	op.waitText("#cmp-preview-rules", "满¥200减¥30")
	op.shot("p1-operator-writes-promotion")
	op.axe("campaign form")
	op.click("#cmp-send")
	op.waitText("#cmp-sent", "已发送")
	op.waitText("#campaign-list", "浦东静安保洁周")

	// Live: the open message center shows it without a reload, under platform news.
	lin.waitText("#inbox-list", "浦东静安保洁周")
	lin.waitText("#inbox-list", "满¥200减¥30")
	lin.waitJS(`document.querySelector('[data-category="platform"] .chip-badge').dataset.count === '1'`, "one unread platform notice")
	lin.shot("p1-customer-sees-promotion")
	lin.click(`#inbox-list .note[data-kind="platform.promotion"]`)
	lin.waitText("#campaign-rules", "满¥200减¥30")
	lin.waitText("#campaign-period", "–")
	lin.waitText(".service-page", "日常保洁")
	lin.shot("p1-customer-promotion-detail")
	lin.axe("promotion detail")
	lin.sameDocument()

	// Emma switched platform news off: not in her message center, even after a fresh load.
	emma.nav("#/settings")
	emma.nav("#/inbox")
	emma.waitJS(`document.querySelector('#inbox-list') && !document.querySelector('#inbox-list').textContent.includes('保洁周') && !document.querySelector('#inbox-list').textContent.includes('Cleaning week')`, "no promotion for Emma")

	op.nav("#/platform")
	op.nav("#/campaigns")
	op.waitJS(`document.querySelector('.campaign-row [data-stat="opened"] strong')?.textContent === '1'`, "opened counted")
	op.axe("campaign list")
	op.clean()
	lin.clean()
	emma.clean()
}

// TestP2BrowserNewServicePage: a new service item published by the platform reaches customers as
// 新服务上线 with its own page — features, advantages and when it fits (P2).
func TestP2BrowserNewServicePage(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	lin := s.signIn("c-lin")
	lin.nav("#/inbox")
	r := s.srv.Do("PUT", "/v1/service-items/special-care", s.srv.ServiceKey("platform"), map[string]any{
		"name":             map[string]string{"zh-CN": "特殊护理服务", "en": "Special-needs care"},
		"features":         map[string]string{"zh-CN": "一对一护理", "en": "One-to-one care"},
		"advantages":       map[string]string{"zh-CN": "护理员持证上岗", "en": "Certified carers"},
		"suits":            map[string]string{"zh-CN": "术后康复、失能老人", "en": "Recovery after surgery"},
		"duration_minutes": 240, "price_cents": 36000})
	if r.Status != 201 {
		t.Fatalf("%s", r)
	}
	lin.waitText("#inbox-list", "新服务上线：特殊护理服务")
	lin.click(`#inbox-list .note[data-kind="platform.new_service"]`)
	lin.waitText(".service-features", "一对一护理")
	lin.waitText(".service-advantages", "护理员持证上岗")
	lin.waitText(".service-suits", "术后康复")
	lin.shot("p2-new-service-page")
	lin.axe("new service page")
	lin.clean()
}
