package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

func init() {
	Register(
		Case{"orders/insert then read back, times in UTC", ordersInsertRead},
		Case{"orders/update is compare-and-swap on the version", ordersCompareAndSwap},
		Case{"orders/lists by customer, worker, open and area", ordersLists},
		Case{"orders/one open change request per order", ordersOneOpenChange},
		Case{"orders/one cancellation awaiting approval per order; decided once", ordersCancellations},
		Case{"orders/timeline events in order", ordersEvents},
		Case{"orders/read with whether it ever had a worker, or with its visit and open change, in one statement", ordersReadTogether},
		Case{"orders/a view's change request, cancellation and visit in one statement, as read one by one", ordersExtras},
	)
}

// orderFixture stores a customer, two workers, an item and returns a pending order (not stored).
func orderFixture(t *testing.T, s *store.Store) model.Order {
	t.Helper()
	AddPeople(t, s, Person("c1", model.RoleCustomer), Person("w1", model.RoleWorker), Person("w2", model.RoleWorker))
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		it := item("daily-cleaning", true)
		_, err := tx.UpsertServiceItem(ctx, &it, T0)
		return err
	})
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	return model.Order{CustomerID: "c1", ServiceItemID: "daily-cleaning", Address: "XX 路 12 号", Area: "浦东新区",
		AppointmentAt: T0.Add(48 * time.Hour).In(shanghai), Requirements: "厨房", AmountPaidCents: 15000, Status: model.OrderPending}
}

func insertOrder(t *testing.T, s *store.Store, o *model.Order) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.InsertOrder(ctx, o, T0) })
}

func ordersInsertRead(t *testing.T, s *store.Store) {
	o := orderFixture(t, s)
	insertOrder(t, s, &o)
	got, err := s.Order(context.Background(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantUTC(t, "appointment_at", got.AppointmentAt, T0.Add(48*time.Hour))
	wantUTC(t, "created_at", got.CreatedAt, T0)
	if got.WorkerID != "" || got.Status != model.OrderPending || got.Version != 1 || got.AmountPaidCents != 15000 || got.Area != "浦东新区" {
		t.Errorf("order = %+v", got)
	}
	_, err = s.Order(context.Background(), "nope")
	wantCode(t, err, model.CodeNotFound)
}

func ordersCompareAndSwap(t *testing.T, s *store.Store) {
	o := orderFixture(t, s)
	insertOrder(t, s, &o)
	a, b := o, o
	a.WorkerID, a.Status = "w1", model.OrderAccepted
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateOrder(ctx, &a, at(time.Minute)) })
	if a.Version != 2 {
		t.Errorf("version after update = %d", a.Version)
	}
	b.WorkerID, b.Status = "w2", model.OrderAccepted
	err := s.InTx(context.Background(), func(tx *store.Tx) error { return tx.UpdateOrder(context.Background(), &b, at(time.Minute)) })
	wantCode(t, err, model.CodeConflict)
	got, _ := s.Order(context.Background(), o.ID)
	if got.WorkerID != "w1" || got.Version != 2 {
		t.Errorf("the stale update won: %+v", got)
	}
}

func ordersLists(t *testing.T, s *store.Store) {
	ctx := context.Background()
	o1 := orderFixture(t, s)
	o2, o3 := o1, o1
	o2.AppointmentAt = o1.AppointmentAt.Add(-time.Hour)
	o3.WorkerID, o3.Status, o3.Area = "w1", model.OrderAccepted, "静安区"
	for _, o := range []*model.Order{&o1, &o2, &o3} {
		insertOrder(t, s, o)
	}
	open, err := s.Orders(ctx, store.OrderFilter{OpenOnly: true})
	if err != nil || len(open) != 2 || open[0].ID != o2.ID {
		t.Fatalf("open = %v err %v, want o2 then o1", open, err)
	}
	mine, _ := s.Orders(ctx, store.OrderFilter{WorkerID: "w1"})
	if len(mine) != 1 || mine[0].ID != o3.ID {
		t.Errorf("w1's orders = %v", mine)
	}
	all, _ := s.Orders(ctx, store.OrderFilter{CustomerID: "c1", Limit: 2})
	if len(all) != 2 || all[0].ID != o3.ID {
		t.Fatalf("page 1 = %v", all)
	}
	rest, _ := s.Orders(ctx, store.OrderFilter{CustomerID: "c1", After: all[1].ID, Limit: 2})
	if len(rest) != 1 || rest[0].ID != o1.ID {
		t.Errorf("page 2 = %v", rest)
	}
	inArea, _ := s.OrdersInArea(ctx, "浦东新区", o2.AppointmentAt, o1.AppointmentAt)
	if len(inArea) != 1 || inArea[0].ID != o2.ID {
		t.Errorf("in area [o2, o1) = %v", inArea)
	}
}

func ordersOneOpenChange(t *testing.T, s *store.Store) {
	ctx := context.Background()
	o := orderFixture(t, s)
	insertOrder(t, s, &o)
	c := model.ChangeRequest{OrderID: o.ID, RequesterID: "c1", RequesterRole: model.RoleCustomer, OldTime: o.AppointmentAt,
		NewTime: o.AppointmentAt.Add(time.Hour), Reason: "x", State: model.ChangePending, Deadline: at(time.Hour), CreatedAt: T0}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.InsertChangeRequest(ctx, &c) })
	second := c
	second.ID = ""
	err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertChangeRequest(ctx, &second) })
	wantCode(t, err, model.CodeConflict)
	got, found, err := s.OpenChangeRequest(ctx, o.ID)
	if err != nil || !found || got.ID != c.ID {
		t.Fatalf("open request = %+v %v %v", got, found, err)
	}
	wantUTC(t, "new_time", got.NewTime, T0.Add(49*time.Hour))
	got.State, got.NeedsOperator = model.ChangeEscalated, true
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateChangeRequest(ctx, &got) })
	if ops, _ := s.OperatorChangeRequests(ctx, 10); len(ops) != 1 {
		t.Errorf("operator requests = %v", ops)
	}
	now := at(2 * time.Hour)
	got.State, got.DecidedAt = model.ChangeAccepted, &now
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateChangeRequest(ctx, &got) })
	err = s.InTx(ctx, func(tx *store.Tx) error { return tx.UpdateChangeRequest(ctx, &got) })
	wantCode(t, err, model.CodeConflict)
	// Closed: a new request may be made.
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.InsertChangeRequest(ctx, &second) })
}

func ordersCancellations(t *testing.T, s *store.Store) {
	ctx := context.Background()
	o := orderFixture(t, s)
	insertOrder(t, s, &o)
	eta := at(72 * time.Hour)
	c := model.Cancellation{OrderID: o.ID, RequesterID: "c1", RequesterRole: model.RoleCustomer, Reason: "x", Policy: "late_fee",
		RefundCents: 12000, FeeCents: 3000, RefundETA: &eta, Status: model.CancellationPendingApproval, CreatedAt: T0}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.InsertCancellation(ctx, &c) })
	dup := c
	dup.ID = ""
	wantCode(t, s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertCancellation(ctx, &dup) }), model.CodeConflict)
	if p, _ := s.PendingCancellations(ctx, 10); len(p) != 1 || p[0].RefundCents != 12000 || p[0].FeeCents != 3000 {
		t.Fatalf("pending = %+v", p)
	}
	now := at(time.Hour)
	c.Status, c.DecidedAt, c.DecidedBy = model.CancellationApproved, &now, "o1"
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.UpdateCancellation(ctx, &c, model.CancellationPendingApproval)
	})
	wantCode(t, s.InTx(ctx, func(tx *store.Tx) error {
		return tx.UpdateCancellation(ctx, &c, model.CancellationPendingApproval)
	}), model.CodeConflict)
	got, found, err := s.LatestCancellation(ctx, o.ID)
	if err != nil || !found || got.Status != model.CancellationApproved || got.DecidedBy != "o1" || got.RefundETA == nil {
		t.Fatalf("latest = %+v %v %v", got, found, err)
	}
	wantUTC(t, "refund_eta", *got.RefundETA, eta)
	wantUTC(t, "decided_at", *got.DecidedAt, now)
}

func ordersEvents(t *testing.T, s *store.Store) {
	o := orderFixture(t, s)
	insertOrder(t, s, &o)
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		for i, typ := range []string{"created", "accepted", "completed"} {
			if err := tx.AppendOrderEvent(ctx, &model.OrderEvent{OrderID: o.ID, Type: typ, ActorID: "c1",
				ActorRole: model.RoleCustomer, CreatedAt: at(time.Duration(i) * time.Minute)}); err != nil {
				return err
			}
		}
		return nil
	})
	evs, err := s.OrderEvents(context.Background(), o.ID)
	if err != nil || len(evs) != 3 || evs[0].Type != "created" || evs[2].Type != "completed" || string(evs[1].Details) != "{}" {
		t.Fatalf("events = %+v err %v", evs, err)
	}
}

func ordersReadTogether(t *testing.T, s *store.Store) {
	ctx := context.Background()
	o := orderFixture(t, s)
	insertOrder(t, s, &o)
	ever := func() bool {
		t.Helper()
		got, ever, err := s.OrderEverAssigned(ctx, o.ID)
		if err != nil || got.ID != o.ID || got.Version != 1 || got.CustomerID != "c1" {
			t.Fatalf("OrderEverAssigned = %+v, %v", got, err)
		}
		st, ever2, err := s.OrderActionStateEver(ctx, o.ID)
		if err != nil || st.Order != got || ever2 != ever {
			t.Fatalf("OrderActionStateEver = %+v %v %v, OrderEverAssigned %+v %v", st.Order, ever2, err, got, ever)
		}
		return ever
	}
	if ever() {
		t.Error("a new order ever had a worker")
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.AppendOrderEvent(ctx, &model.OrderEvent{OrderID: o.ID, Type: "created", ActorID: "c1", ActorRole: model.RoleCustomer, CreatedAt: T0})
	})
	if ever() {
		t.Error("a created line counts as a worker")
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.AppendOrderEvent(ctx, &model.OrderEvent{OrderID: o.ID, Type: "assigned", ActorID: "o1", ActorRole: model.RoleOperator, CreatedAt: at(time.Minute)})
	})
	if !ever() {
		t.Error("an assigned order never had a worker")
	}
	_, _, err := s.OrderEverAssigned(ctx, "nope")
	wantCode(t, err, model.CodeNotFound)
	_, _, err = s.OrderActionStateEver(ctx, "nope")
	wantCode(t, err, model.CodeNotFound)

	st, err := s.OrderActionStateOf(ctx, o.ID)
	if err != nil || st.VisitFound || st.OpenChange || st.Order.ID != o.ID || st.Visit != (model.Visit{}) {
		t.Fatalf("OrderActionStateOf without a visit or change = %+v %v", st, err)
	}
	arrived := at(2 * time.Minute)
	want := model.Visit{OrderID: o.ID, WorkerID: "w1", ArrivedAt: &arrived, StartCode: "0042", CodeFailures: 2, OverrideReason: "r"}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.PutVisit(ctx, &want, at(3*time.Minute)) })
	alone, _, err := s.Visit(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	st, err = s.OrderActionStateOf(ctx, o.ID)
	if err != nil || !st.VisitFound || st.OpenChange || st.Order.ID != o.ID || st.Order.Area != "浦东新区" {
		t.Fatalf("OrderActionStateOf = %+v %v", st, err)
	}
	v := st.Visit
	if v.ArrivedAt == nil || !v.ArrivedAt.Equal(*alone.ArrivedAt) || v.OnTheWayAt != nil || v.StartCode != "0042" ||
		v.CodeFailures != 2 || v.WorkerID != "w1" || v.OverrideReason != "r" || !v.UpdatedAt.Equal(alone.UpdatedAt) {
		t.Errorf("visit read with the order = %+v, read alone = %+v", v, alone)
	}
	wantUTC(t, "arrived_at", *v.ArrivedAt, arrived)
	// An open time change request shows; a decided one does not.
	c := model.ChangeRequest{OrderID: o.ID, RequesterID: "c1", RequesterRole: model.RoleCustomer, OldTime: o.AppointmentAt,
		NewTime: o.AppointmentAt.Add(time.Hour), State: model.ChangePending, Deadline: at(time.Hour), CreatedAt: at(4 * time.Minute)}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.InsertChangeRequest(ctx, &c) })
	if st, err = s.OrderActionStateOf(ctx, o.ID); err != nil || !st.OpenChange {
		t.Errorf("OrderActionStateOf with a pending change = %+v %v", st, err)
	}
	// Its extras are OrderExtrasOf's (an action's answer is built from them).
	if x, err := s.OrderExtrasOf(ctx, o.ID); err != nil || !reflect.DeepEqual(x, st.Extras) || x.Change == nil || x.Change.ID != c.ID || x.Visit == nil {
		t.Errorf("OrderActionStateOf extras = %+v, OrderExtrasOf = %+v %v", st.Extras, x, err)
	}
	decided := at(5 * time.Minute)
	c.State, c.DecidedAt, c.DecidedBy = model.ChangeWithdrawn, &decided, "system"
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateChangeRequest(ctx, &c) })
	if st, err = s.OrderActionStateOf(ctx, o.ID); err != nil || st.OpenChange {
		t.Errorf("OrderActionStateOf with a withdrawn change = %+v %v", st, err)
	}
	_, err = s.OrderActionStateOf(ctx, "nope")
	wantCode(t, err, model.CodeNotFound)
}

func ordersExtras(t *testing.T, s *store.Store) {
	ctx := context.Background()
	o := orderFixture(t, s)
	insertOrder(t, s, &o)
	other := orderFixture(t, s)
	insertOrder(t, s, &other)
	check := func(stage string, wantChange, wantCancellation, wantVisit bool) {
		t.Helper()
		x, err := s.OrderExtrasOf(ctx, o.ID)
		if err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		ch, foundCh, err1 := s.OpenChangeRequest(ctx, o.ID)
		cn, foundCn, err2 := s.LatestCancellation(ctx, o.ID)
		v, foundV, err3 := s.Visit(ctx, o.ID)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatal(err1, err2, err3)
		}
		if (x.Change != nil) != wantChange || foundCh != wantChange || (x.Cancellation != nil) != wantCancellation ||
			foundCn != wantCancellation || (x.Visit != nil) != wantVisit || foundV != wantVisit {
			t.Fatalf("%s: extras %+v; one by one: change %v, cancellation %v, visit %v", stage, x, foundCh, foundCn, foundV)
		}
		if x.Change != nil && !reflect.DeepEqual(*x.Change, ch) {
			t.Errorf("%s: change %+v, read alone %+v", stage, *x.Change, ch)
		}
		if x.Cancellation != nil && !reflect.DeepEqual(*x.Cancellation, cn) {
			t.Errorf("%s: cancellation %+v, read alone %+v", stage, *x.Cancellation, cn)
		}
		if x.Visit != nil && !reflect.DeepEqual(*x.Visit, v) {
			t.Errorf("%s: visit %+v, read alone %+v", stage, *x.Visit, v)
		}
	}
	check("nothing", false, false, false)
	// The other order's rows are not this one's.
	oc := model.ChangeRequest{OrderID: other.ID, RequesterID: "c1", RequesterRole: model.RoleCustomer, OldTime: other.AppointmentAt,
		NewTime: other.AppointmentAt.Add(time.Hour), State: model.ChangePending, Deadline: at(time.Hour), CreatedAt: T0}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.InsertChangeRequest(ctx, &oc) })
	check("another order's change", false, false, false)

	c := model.ChangeRequest{OrderID: o.ID, RequesterID: "w1", RequesterRole: model.RoleWorker, OldTime: o.AppointmentAt,
		NewTime: o.AppointmentAt.Add(time.Hour), Reason: "堵车", State: model.ChangePending, NeedsOperator: true, Deadline: at(time.Hour), CreatedAt: T0}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.InsertChangeRequest(ctx, &c) })
	arrived := at(2 * time.Minute)
	v := model.Visit{OrderID: o.ID, WorkerID: "w1", ArrivedAt: &arrived, StartCode: "0042", CodeFailures: 1}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.PutVisit(ctx, &v, at(3*time.Minute)) })
	check("a change and a visit", true, false, true)

	eta := at(72 * time.Hour)
	first := model.Cancellation{OrderID: o.ID, RequesterID: "c1", RequesterRole: model.RoleCustomer, Reason: "x", Policy: "late_fee",
		RefundCents: 12000, FeeCents: 3000, RefundETA: &eta, Status: model.CancellationPendingApproval, CreatedAt: T0}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.InsertCancellation(ctx, &first) })
	now := at(time.Hour)
	first.Status, first.DecidedAt, first.DecidedBy, first.DecisionReason = model.CancellationDeclined, &now, "o1", "no"
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.UpdateCancellation(ctx, &first, model.CancellationPendingApproval)
	})
	later := model.Cancellation{OrderID: o.ID, RequesterID: "o1", RequesterRole: model.RoleOperator, Reason: "台风", ForceMajeure: true,
		Policy: "force_majeure", RefundCents: 15000, Status: model.CancellationPendingApproval, CreatedAt: at(2 * time.Hour)}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.InsertCancellation(ctx, &later) })
	check("a change, a visit and two cancellations", true, true, true)
	if x, _ := s.OrderExtrasOf(ctx, o.ID); x.Cancellation.ID != later.ID || !x.Cancellation.ForceMajeure {
		t.Errorf("latest cancellation = %+v, want %s", x.Cancellation, later.ID)
	}
	decided := at(3 * time.Hour)
	c.State, c.DecidedAt, c.DecidedBy = model.ChangeWithdrawn, &decided, "system"
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateChangeRequest(ctx, &c) })
	check("a withdrawn change", false, true, true)
}
