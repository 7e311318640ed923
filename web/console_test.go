package web_test

import (
	"testing"
	"time"

	"github.com/homebell/homebell/internal/app/apptest"
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
