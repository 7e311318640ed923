package web_test

import (
	"strings"
	"testing"

	"github.com/homebell/homebell/internal/app/apptest"
)

// TestI4BrowserFeedbackAnsweredLive: a customer sends feedback from the menu; an operator finds it
// in the triage table, tags it, sets a status and answers; the customer's open page shows the
// answer and the new status without a reload.
func TestI4BrowserFeedbackAnsweredLive(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	customer := s.signIn("c-lin")
	operator := s.signIn("o-zhou")

	customer.click(`.nav-link[data-path="feedback"]`)
	customer.waitText("#fb-form", "反馈类型")
	customer.fill("#fb-topic", "features")
	customer.fill("#fb-text", "希望可以预约固定的阿姨，每周同一时间上门。")
	customer.click("#fb-submit")
	customer.waitText("#fb-list", "希望可以预约固定的阿姨")
	customer.waitText("#fb-list .fb-status", "待处理")
	customer.shot("i4-01-feedback-form")
	customer.axe("feedback")

	operator.click(`.nav-link[data-path="feedback-triage"]`)
	operator.waitText("#fbt-weeks", "合计")
	operator.fill("#fbt-topic", "features")
	operator.waitJS(`document.querySelector('#fbt-list')?.dataset.query === '?topic=features'`, "the filtered list")
	operator.waitText("#fbt-list", "希望可以预约固定的阿姨")
	operator.click("#fbt-list .fbt-row")
	operator.waitJS(`document.querySelector('#fbt-list .fbt-set-answer')`, "the triage editor")
	operator.fill("#fbt-list .fbt-set-status", "planned")
	operator.fill("#fbt-list .fbt-set-tags", "排班, 高频")
	operator.fill("#fbt-list .fbt-set-answer", "已排期：下个月上线「固定阿姨」预约。")
	operator.click("#fbt-list .fbt-save")
	operator.waitText("#fbt-list .fb-status", "已排期")
	operator.waitText("#fbt-list .fbt-tags", "高频")
	operator.quietShot("i4-02-feedback-triage")
	operator.axe("feedback triage with the editor open")

	// The customer's page changes by itself.
	customer.waitText("#fb-list .fb-answer", "已排期：下个月上线")
	customer.waitText("#fb-list .fb-status", "已排期")
	customer.waitText(".toast", "您的反馈有了回复")
	customer.click("#fb-list .fb-card .link")
	customer.waitText("#fb-list .fb-history", "平台已回复")
	if got := customer.text("#fb-list"); strings.Contains(got, "高频") {
		t.Errorf("the customer sees the operators' tags: %q", got)
	}
	customer.quietShot("i4-03-feedback-answered")
	customer.sameDocument()
	operator.sameDocument()
	customer.clean()
	operator.clean()
}
