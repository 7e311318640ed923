package booking_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/jobs"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
	"github.com/homebell/homebell/internal/testkit"
)

func answerWorld(t *testing.T, dsn string, t0 time.Time) (*booking.Service, *store.Store, *testkit.Clock) {
	t.Helper()
	clk := testkit.NewClock(t0)
	st := storetest.Open(t, dsn)
	st.Now = clk.Now
	runner := jobs.New(st, clk.Now, slog.New(slog.DiscardHandler))
	svc := &booking.Service{Store: st, Jobs: runner, Now: clk.Now,
		Notify: &notify.Service{Store: st, Jobs: runner, Now: clk.Now}}
	testkit.On(t, st, clk.Now).
		People(model.Person{ID: "c", Role: model.RoleCustomer, Name: "Customer", AvatarURL: "/a/c.png", Area: "pudong"}).
		Person("w", model.RoleWorker, "Worker").
		Items(model.ServiceItem{ID: "cleaning", Name: model.Text{ZH: "保洁", EN: "Cleaning"}, DurationMinutes: 120, PriceCents: 9900, Active: true})
	return svc, st, clk
}

// A booking's answer is built in its transaction (CreateView) and is the order's view as View
// reads it after the commit, byte for byte.
func TestCreateViewIsTheViewAfterCommit(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		t.Parallel()
		ctx := context.Background()
		t0 := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
		svc, st, _ := answerWorld(t, dsn, t0)
		v, err := svc.CreateView(ctx, booking.Actor{ID: "c", Role: model.RoleCustomer}, booking.CreateInput{
			ServiceItemID: "cleaning", Address: "1 Main St", AppointmentAt: t0.Add(48 * time.Hour), Requirements: "a cat"})
		if err != nil {
			t.Fatal(err)
		}
		after, err := svc.View(ctx, &st.Queries, v.Order)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(v)
		want, _ := json.Marshal(after)
		if !bytes.Equal(got, want) {
			t.Fatalf("answer\n%s\nview after commit\n%s", got, want)
		}
		if v.Customer.Name != "Customer" || v.Item.Name.EN != "Cleaning" || v.Photos == nil {
			t.Fatalf("answer %s lacks the customer, the item or photos: []", got)
		}
	})
}

// Complete cancels no timers: Start, the only way in service, cancelled the reminders and the
// visit's timers, and none is live again by the completion.
func TestNoTimerLiveInServiceOrAfter(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		t.Parallel()
		ctx := context.Background()
		t0 := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
		svc, st, clk := answerWorld(t, dsn, t0)
		at := t0.Add(48 * time.Hour)
		o := &model.Order{CustomerID: "c", ServiceItemID: "cleaning", Address: "1 Main St", Area: "pudong",
			AppointmentAt: at, Status: model.OrderPending}
		testkit.On(t, st, clk.Now).Orders(o)
		w := booking.Actor{ID: "w", Role: model.RoleWorker}
		if _, err := svc.Accept(ctx, w, o.ID); err != nil {
			t.Fatal(err)
		}
		keys := []string{booking.ReminderKey(o.ID, "customer"), booking.ReminderKey(o.ID, "worker"),
			booking.VisitKey(o.ID, "nudge"), booking.VisitKey(o.ID, "late")}
		live := func(when string, want bool) {
			t.Helper()
			for _, k := range keys {
				j, err := st.JobByKey(ctx, k)
				if err != nil {
					t.Fatal(err)
				}
				if isLive := j.State == "scheduled" || j.State == "running"; isLive != want {
					t.Errorf("%s: job %s is %s, want live=%v", when, k, j.State, want)
				}
			}
		}
		live("accepted", true)
		clk.Set(at.Add(-10 * time.Minute))
		if _, err := svc.CheckIn(ctx, w, o.ID); err != nil {
			t.Fatal(err)
		}
		vis, _, err := st.Visit(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Start(ctx, w, o.ID, booking.StartInput{Code: vis.StartCode}); err != nil {
			t.Fatal(err)
		}
		live("in service", false)
		done, err := svc.Complete(ctx, w, o.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if done.Status != model.OrderCompleted {
			t.Fatalf("status %s, want completed", done.Status)
		}
		live("completed", false)
	})
}

// An accept's, a check-in's, a start's and a completion's answers are built in their transactions (viewIn)
// and are the order's view as View reads it after the commit, byte for byte: without and with an
// open time change request (shown at check-in, withdrawn by the start).
func TestActionAnswersAreTheViewAfterCommit(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		for _, withChange := range []bool{false, true} {
			ctx := context.Background()
			t0 := time.Date(2026, 11, 24, 8, 0, 0, 123456789, time.UTC) // nanoseconds: stored to the microsecond
			svc, st, clk := answerWorld(t, dsn, t0)
			at := t0.Add(48 * time.Hour).Truncate(time.Second)
			o := &model.Order{CustomerID: "c", ServiceItemID: "cleaning", Address: "1 Main St", Area: "pudong",
				AppointmentAt: at, Status: model.OrderPending}
			testkit.On(t, st, clk.Now).Orders(o)
			w := booking.Actor{ID: "w", Role: model.RoleWorker}
			what := "accept"
			same := func(v booking.OrderView, err error) booking.OrderView {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				after, err := svc.View(ctx, &st.Queries, v.Order)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := json.Marshal(v)
				want, _ := json.Marshal(after)
				if !bytes.Equal(got, want) {
					t.Fatalf("change %v: %s answer\n%s\nview after commit\n%s", withChange, what, got, want)
				}
				return v
			}
			if v := same(svc.AcceptView(ctx, w, o.ID)); v.Worker == nil || v.Worker.ID != "w" || v.Status != model.OrderAccepted {
				t.Fatalf("accept answer %+v: want accepted by w", v)
			}
			if withChange {
				if _, err := svc.RequestTimeChange(ctx, booking.Actor{ID: "c", Role: model.RoleCustomer}, o.ID, at.Add(2*time.Hour), "later"); err != nil {
					t.Fatal(err)
				}
			}
			clk.Set(at.Add(-10*time.Minute - 333*time.Nanosecond))
			what = "check-in"
			v := same(svc.CheckInView(ctx, w, o.ID))
			if v.Visit == nil || v.Visit.State != "arrived" || v.Worker == nil || (v.PendingChange != nil) != withChange {
				t.Fatalf("check-in answer %+v: want the visit arrived, the worker, change %v", v, withChange)
			}
			vis, _, err := st.Visit(ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			clk.Add(time.Minute)
			what = "start"
			if v = same(svc.StartView(ctx, w, o.ID, booking.StartInput{Code: vis.StartCode})); v.Visit.State != "started" || v.PendingChange != nil {
				t.Fatalf("start answer %+v: want the visit started, no open change", v)
			}
			clk.Add(time.Hour)
			what = "complete"
			if v = same(svc.CompleteView(ctx, w, o.ID, nil)); v.Status != model.OrderCompleted || v.Photos == nil {
				t.Fatalf("complete answer %+v: want completed, photos []", v)
			}
		}
	})
}
