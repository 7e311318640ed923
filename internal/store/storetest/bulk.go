package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

func init() {
	Register(
		Case{"orders/a bulk cancellation's chunk is written set-based, active orders only", ordersBulkCancelChunk},
	)
}

func ordersBulkCancelChunk(t *testing.T, s *store.Store) {
	ctx := context.Background()
	base := orderFixture(t, s)
	var os []model.Order
	for i, st := range []model.OrderStatus{model.OrderPending, model.OrderAccepted, model.OrderCompleted} {
		o := base
		o.Status = st
		o.AppointmentAt = base.AppointmentAt.Add(time.Duration(i) * time.Hour)
		if st != model.OrderPending {
			o.WorkerID = "w1"
		}
		insertOrder(t, s, &o)
		os = append(os, o)
	}
	ids := []string{os[0].ID, os[1].ID, os[2].ID}
	eta := at(72 * time.Hour)
	late := model.Cancellation{OrderID: os[1].ID, RequesterID: "c1", RequesterRole: model.RoleCustomer, Reason: "x",
		Policy: "late_fee", RefundCents: 100, FeeCents: 50, RefundETA: &eta, Status: model.CancellationPendingApproval, CreatedAt: T0}
	change := model.ChangeRequest{OrderID: os[0].ID, RequesterID: "c1", RequesterRole: model.RoleCustomer, OldTime: os[0].AppointmentAt,
		NewTime: os[0].AppointmentAt.Add(time.Hour), Reason: "x", State: model.ChangeEscalated, Deadline: at(time.Hour), CreatedAt: T0}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.InsertCancellation(ctx, &late); err != nil {
			return err
		}
		return tx.InsertChangeRequest(ctx, &change)
	})
	now := at(time.Hour)
	var done []model.Order
	var withdrawn []string
	var declined int64
	cs := []*model.Cancellation{
		{OrderID: os[0].ID, RequesterID: "op", RequesterRole: model.RoleOperator, Reason: "typhoon", ForceMajeure: true,
			Policy: "force_majeure", RefundCents: 15000, RefundETA: &eta, Status: model.CancellationApproved, DecidedBy: "op",
			CreatedAt: now, DecidedAt: &now},
		{OrderID: os[1].ID, RequesterID: "op", RequesterRole: model.RoleOperator, Reason: "typhoon", ForceMajeure: true,
			Policy: "force_majeure", Status: model.CancellationApproved, DecidedBy: "op", CreatedAt: now, DecidedAt: &now},
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		got, err := tx.OrdersByIDsForUpdate(ctx, append(ids, "nope"))
		if err != nil {
			return err
		}
		if len(got) != 3 || got[os[2].ID].Status != model.OrderCompleted {
			t.Errorf("orders for update = %+v", got)
		}
		if declined, err = tx.DeclinePendingCancellations(ctx, ids, "op", "force majeure", now); err != nil {
			return err
		}
		if done, err = tx.CancelActiveOrders(ctx, ids, now); err != nil {
			return err
		}
		if err := tx.InsertCancellations(ctx, cs); err != nil {
			return err
		}
		if withdrawn, err = tx.WithdrawOpenChanges(ctx, ids, "system", now); err != nil {
			return err
		}
		return tx.AppendOrderEvents(ctx, []*model.OrderEvent{
			{OrderID: os[0].ID, Type: "cancelled", ActorID: "op", ActorRole: model.RoleOperator, Details: []byte(`{"a":1}`), CreatedAt: now},
			{OrderID: os[1].ID, Type: "cancelled", ActorID: "op", ActorRole: model.RoleOperator, CreatedAt: now},
		})
	})
	if declined != 1 {
		t.Errorf("declined %d pending cancellations, want 1", declined)
	}
	if len(done) != 2 {
		t.Fatalf("cancelled %d orders, want the 2 active ones: %+v", len(done), done)
	}
	for _, o := range done {
		if o.Status != model.OrderCancelled || o.Version != 2 || (o.ID != os[0].ID && o.ID != os[1].ID) {
			t.Errorf("cancelled order = %+v", o)
		}
		wantUTC(t, "updated_at", o.UpdatedAt, now)
		wantUTC(t, "appointment_at", o.AppointmentAt, T0.Add(48*time.Hour).Add(map[string]time.Duration{os[0].ID: 0, os[1].ID: time.Hour}[o.ID]))
	}
	if o, _ := s.Order(ctx, os[1].ID); o.WorkerID != "w1" || o.Status != model.OrderCancelled {
		t.Errorf("stored order = %+v", o)
	}
	if o, _ := s.Order(ctx, os[2].ID); o.Status != model.OrderCompleted || o.Version != 1 {
		t.Errorf("the completed order was touched: %+v", o)
	}
	if len(withdrawn) != 1 || withdrawn[0] != change.ID {
		t.Errorf("withdrawn = %v, want [%s]", withdrawn, change.ID)
	}
	if c, _ := s.ChangeRequest(ctx, change.ID); c.State != model.ChangeWithdrawn || c.DecidedBy != "system" || c.DecidedAt == nil {
		t.Errorf("change = %+v", c)
	}
	c0, found, err := s.LatestCancellation(ctx, os[0].ID)
	if err != nil || !found || c0.ID != cs[0].ID || !c0.ForceMajeure || c0.RefundCents != 15000 || c0.RefundETA == nil || c0.DecidedBy != "op" {
		t.Fatalf("cancellation = %+v %v %v", c0, found, err)
	}
	wantUTC(t, "refund_eta", *c0.RefundETA, eta)
	wantUTC(t, "decided_at", *c0.DecidedAt, now)
	if p, _ := s.PendingCancellations(ctx, 10); len(p) != 0 {
		t.Errorf("still pending: %+v", p)
	}
	c1, _, _ := s.LatestCancellation(ctx, os[1].ID)
	if c1.ID != cs[1].ID || c1.RefundETA != nil || c1.Status != model.CancellationApproved {
		t.Errorf("latest of the order with a late cancellation = %+v", c1)
	}
	evs, err := s.OrderEvents(ctx, os[0].ID)
	if err != nil || len(evs) != 1 || string(evs[0].Details) != `{"a":1}` || evs[0].ActorRole != model.RoleOperator {
		t.Errorf("events = %+v %v", evs, err)
	}
	if evs, _ := s.OrderEvents(ctx, os[1].ID); len(evs) != 1 || string(evs[0].Details) != "{}" {
		t.Errorf("events = %+v", evs)
	}
}
