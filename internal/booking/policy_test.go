package booking

import (
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
)

func TestRefundPolicyTable(t *testing.T) {
	p := DefaultPolicy().Refund // free ≥ 24 h, 20 % fee, approval within 2 h, 3 days
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	order := func(status model.OrderStatus, worker string, in time.Duration) model.Order {
		return model.Order{ID: "o", Status: status, WorkerID: worker, AppointmentAt: now.Add(in), AmountPaidCents: 10000}
	}
	cases := []struct {
		name          string
		o             model.Order
		by            model.Role
		force         bool
		policy        string
		refund, fee   int64
		needsApproval bool
		err           model.Code
	}{
		{"customer, 48 h before: free", order(model.OrderAccepted, "w", 48*time.Hour), model.RoleCustomer, false, PolicyFree, 10000, 0, false, ""},
		{"customer, exactly 24 h before: free", order(model.OrderAccepted, "w", 24*time.Hour), model.RoleCustomer, false, PolicyFree, 10000, 0, false, ""},
		{"customer, 23 h before: fee", order(model.OrderAccepted, "w", 23*time.Hour), model.RoleCustomer, false, PolicyLateFee, 8000, 2000, false, ""},
		{"customer, exactly 2 h before: fee, no approval", order(model.OrderAccepted, "w", 2*time.Hour), model.RoleCustomer, false, PolicyLateFee, 8000, 2000, false, ""},
		{"customer, 1 h before: fee and approval", order(model.OrderAccepted, "w", time.Hour), model.RoleCustomer, false, PolicyLateFee, 8000, 2000, true, ""},
		{"customer, after the appointment: approval", order(model.OrderAccepted, "w", -time.Hour), model.RoleCustomer, false, PolicyLateFee, 8000, 2000, true, ""},
		{"customer, in service: approval", order(model.OrderInService, "w", -time.Hour), model.RoleCustomer, false, PolicyLateFee, 8000, 2000, true, ""},
		{"customer, nobody accepted yet: full", order(model.OrderPending, "", time.Hour), model.RoleCustomer, false, PolicyNotAccepted, 10000, 0, false, ""},
		{"worker, 1 h before: full", order(model.OrderAccepted, "w", time.Hour), model.RoleWorker, false, PolicyWorkerSide, 10000, 0, false, ""},
		{"operator: full", order(model.OrderAccepted, "w", time.Hour), model.RoleOperator, false, PolicyOperator, 10000, 0, false, ""},
		{"platform: full", order(model.OrderAccepted, "w", time.Hour), model.RolePlatform, false, PolicyOperator, 10000, 0, false, ""},
		{"force majeure: full", order(model.OrderAccepted, "w", 10*time.Minute), model.RoleOperator, true, PolicyForceMajeure, 10000, 0, false, ""},
		{"completed: no cancellation", order(model.OrderCompleted, "w", -time.Hour), model.RoleCustomer, false, "", 0, 0, false, model.CodeInvalidTransition},
		{"cancelled: no cancellation", order(model.OrderCancelled, "w", time.Hour), model.RoleOperator, true, "", 0, 0, false, model.CodeInvalidTransition},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := QuoteRefund(p, c.o, c.by, c.force, now)
			if c.err != "" {
				if !model.IsCode(err, c.err) {
					t.Fatalf("err = %v, want %s", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if q.Policy != c.policy || q.RefundCents != c.refund || q.FeeCents != c.fee || q.NeedsApproval != c.needsApproval {
				t.Errorf("quote = %+v, want policy %s refund %d fee %d approval %v", q, c.policy, c.refund, c.fee, c.needsApproval)
			}
			if q.Refund != (c.refund > 0) {
				t.Errorf("refund flag = %v", q.Refund)
			}
			if q.Refund && (q.RefundETA == nil || !q.RefundETA.Equal(now.Add(72*time.Hour))) {
				t.Errorf("refund eta = %v, want 3 days on", q.RefundETA)
			}
		})
	}
}

func TestRefundPolicyZeroAmountHasNoRefund(t *testing.T) {
	now := time.Now()
	q, err := QuoteRefund(DefaultPolicy().Refund, model.Order{Status: model.OrderAccepted, WorkerID: "w",
		AppointmentAt: now.Add(48 * time.Hour)}, model.RoleCustomer, false, now)
	if err != nil || q.Refund || q.RefundETA != nil {
		t.Fatalf("quote %+v err %v: a free order has nothing to refund", q, err)
	}
}

func TestOrderTransitionTable(t *testing.T) {
	all := []Action{ActAccept, ActAssign, ActStart, ActComplete, ActCancel, ActChangeTime, ActWithdraw}
	want := map[model.OrderStatus]map[Action]bool{
		model.OrderPending:   {ActAccept: true, ActAssign: true, ActCancel: true, ActChangeTime: true},
		model.OrderAccepted:  {ActAssign: true, ActStart: true, ActCancel: true, ActChangeTime: true, ActWithdraw: true},
		model.OrderInService: {ActComplete: true, ActCancel: true},
		model.OrderCompleted: {},
		model.OrderCancelled: {},
	}
	for status, allowed := range want {
		for _, a := range all {
			if got := Allowed(status, a); got != allowed[a] {
				t.Errorf("%s from %s: allowed = %v, want %v", a, status, got, allowed[a])
			}
			err := checkTransition(model.Order{Status: status}, a)
			if allowed[a] != (err == nil) || (err != nil && !model.IsCode(err, model.CodeInvalidTransition)) {
				t.Errorf("%s from %s: err = %v", a, status, err)
			}
		}
	}
}

func TestPolicyLeadAndValidation(t *testing.T) {
	p := DefaultPolicy()
	p.ReminderLeadByItem["elder-care"] = 90
	if p.LeadFor("elder-care") != 90*time.Minute || p.LeadFor("daily-cleaning") != 30*time.Minute {
		t.Errorf("leads: %v %v", p.LeadFor("elder-care"), p.LeadFor("daily-cleaning"))
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	p.Refund.FeePercent = 120
	if !model.IsCode(p.Validate(), model.CodeInvalid) {
		t.Error("fee 120 % accepted")
	}
}
