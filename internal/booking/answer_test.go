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
