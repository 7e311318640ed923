package booking_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/jobs"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store/storetest"
	"github.com/homebell/homebell/internal/testkit"
)

// One change, one timestamp (#9): accepting an order writes the order, its timeline, the
// customer's notification and the reminder jobs in one transaction, and every one of those rows
// carries the time the transaction began (tx.Now), though the clock moves a second on every read
// of it — as a slow change's wall clock would between its statements.
func TestOneChangeOneTimestamp(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		t.Parallel()
		ctx := context.Background()
		t0 := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
		clk := testkit.NewClock(t0)
		tick := func() time.Time { clk.Add(time.Second); return clk.Now() }
		st := storetest.Open(t, dsn)
		st.Now = tick
		log := slog.New(slog.DiscardHandler)
		runner := jobs.New(st, tick, log)
		svc := &booking.Service{Store: st, Jobs: runner, Now: tick,
			Notify: &notify.Service{Store: st, Jobs: runner, Now: tick}}
		o := &model.Order{CustomerID: "c", ServiceItemID: "cleaning", Address: "1 Main St", Area: "pudong",
			AppointmentAt: t0.Add(48 * time.Hour), Status: model.OrderPending}
		testkit.On(t, st, clk.Now).
			Person("c", model.RoleCustomer, "Customer").
			Person("w", model.RoleWorker, "Worker").
			Items(model.ServiceItem{ID: "cleaning", Name: model.Text{ZH: "保洁"}, DurationMinutes: 120, Active: true}).
			Orders(o)

		before := clk.Now()
		got, err := svc.Accept(ctx, booking.Actor{ID: "w", Role: model.RoleWorker}, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		stamp := got.UpdatedAt
		if !stamp.After(before) {
			t.Fatalf("order updated at %v, want after %v", stamp, before)
		}
		want := func(what string, tm time.Time) {
			t.Helper()
			if !tm.Equal(stamp) {
				t.Errorf("%s at %v, want the change's one timestamp %v", what, tm, stamp)
			}
		}
		stored, err := st.Order(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		want("order updated", stored.UpdatedAt)
		evs, err := st.OrderEvents(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 || evs[len(evs)-1].Type != "accepted" {
			t.Fatalf("timeline %+v, want it to end with accepted", evs)
		}
		want("accepted event", evs[len(evs)-1].CreatedAt)
		ns, err := st.OrderNotifications(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) == 0 {
			t.Fatal("accepting told nobody")
		}
		for _, n := range ns {
			want("notification "+n.Kind+" created", n.CreatedAt)
		}
		for _, aud := range []string{"customer", "worker"} {
			j, err := st.JobByKey(ctx, booking.ReminderKey(o.ID, aud))
			if err != nil {
				t.Fatal(err)
			}
			want("reminder job of the "+aud+" created", j.CreatedAt)
		}
	})
}
