package app

import (
	"context"
	"fmt"
	"time"

	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

// seedDemoOrders books a few orders for the demo people through the booking service, so their
// notifications and timelines exist: one open, one accepted for tomorrow, one
// accepted for half an hour from now (to try the visit), one completed two days ago. It does
// nothing when the demo customers already have orders.
func (a *App) seedDemoOrders(ctx context.Context) error {
	for _, c := range []string{"c-lin", "c-emma"} {
		existing, err := a.Store.Orders(ctx, store.OrderFilter{CustomerID: c, Limit: 1})
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			return nil
		}
	}
	lin := booking.Actor{ID: "c-lin", Role: model.RoleCustomer, Name: "林晓"}
	emma := booking.Actor{ID: "c-emma", Role: model.RoleCustomer, Name: "Emma Clark"}
	wang := booking.Actor{ID: "w-wang", Role: model.RoleWorker, Name: "王阿姨"}
	zhao := booking.Actor{ID: "w-zhao", Role: model.RoleWorker, Name: "赵师傅"}
	// Upcoming visits at ordinary hours in Shanghai: tomorrow 09:00 and the day after 14:00.
	sh := time.FixedZone("CST", 8*3600) // China has no daylight saving
	local := a.Now().In(sh)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, sh)
	fail := func(step string, err error) error { return fmt.Errorf("app: demo orders: %s: %w", step, err) }

	// Open: Emma's deep cleaning the day after tomorrow, waiting for a worker.
	if _, err := a.Booking.Create(ctx, emma, booking.CreateInput{ServiceItemID: "deep-cleaning", Address: "静安区 南京西路 1000 弄 8 号",
		AppointmentAt: today.AddDate(0, 0, 2).Add(14 * time.Hour).UTC(), Requirements: "Please bring your own ladder for the windows."}); err != nil {
		return fail("open order", err)
	}
	// Accepted for tomorrow: 林晓's daily cleaning with 王阿姨.
	o, err := a.Booking.Create(ctx, lin, booking.CreateInput{ServiceItemID: "daily-cleaning", Address: "浦东新区 张杨路 500 号 12 楼",
		AppointmentAt: today.AddDate(0, 0, 1).Add(9 * time.Hour).UTC(), Requirements: "厨房油烟机附近重点清洁，家里有猫。"})
	if err != nil {
		return fail("accepted order", err)
	}
	if _, err := a.Booking.Accept(ctx, wang, o.ID); err != nil {
		return fail("accept", err)
	}
	// Soon: 林晓's home organising with 王阿姨 in about half an hour, so a visitor can try the
	// visit (Y4): on the way, check-in, the start code, photos at completion.
	soon := a.Now().UTC().Add(30 * time.Minute).Truncate(5 * time.Minute)
	o, err = a.Booking.Create(ctx, lin, booking.CreateInput{ServiceItemID: "daily-cleaning", Address: "浦东新区 张杨路 500 号 12 楼",
		AppointmentAt: soon, Requirements: "客厅和阳台。"})
	if err != nil {
		return fail("order soon", err)
	}
	if _, err := a.Booking.Accept(ctx, wang, o.ID); err != nil {
		return fail("accept soon", err)
	}
	// Completed: 林晓's appliance cleaning by 赵师傅 two days ago at 10:00, booked the day before,
	// started at the door with the start code and finished three hours later (issue 15, item 7:
	// nothing is completed before its appointment). It runs on a clock of its own.
	appt := today.AddDate(0, 0, -2).Add(10 * time.Hour).UTC()
	past := appt.Add(-24 * time.Hour)
	clock := func() time.Time { return past }
	thenStore := a.Store.WithClock(clock)
	then := &booking.Service{Store: thenStore, Jobs: a.Jobs, Now: clock, WorkerChanged: a.Booking.WorkerChanged,
		Notify: &notify.Service{Store: thenStore, Jobs: a.Jobs, Now: clock}}
	done, err := then.Create(ctx, lin, booking.CreateInput{ServiceItemID: "appliance-cleaning", Address: "浦东新区 张杨路 500 号 12 楼",
		AppointmentAt: appt, Requirements: "空调两台"})
	if err != nil {
		return fail("completed order", err)
	}
	past = past.Add(time.Hour)
	if _, err := then.Accept(ctx, zhao, done.ID); err != nil {
		return fail("accept", err)
	}
	past = appt.Add(-25 * time.Minute)
	if _, err := then.OnTheWay(ctx, zhao, done.ID, appt.Add(-5*time.Minute), 0); err != nil {
		return fail("on the way", err)
	}
	past = appt.Add(-5 * time.Minute)
	if _, err := then.CheckIn(ctx, zhao, done.ID); err != nil {
		return fail("check in", err)
	}
	v, _, err := a.Store.Visit(ctx, done.ID)
	if err != nil {
		return fail("visit", err)
	}
	past = appt
	if _, err := then.Start(ctx, zhao, done.ID, booking.StartInput{Code: v.StartCode}); err != nil {
		return fail("start", err)
	}
	past = appt.Add(3 * time.Hour)
	if _, err := then.Complete(ctx, zhao, done.ID, nil); err != nil {
		return fail("complete", err)
	}
	return nil
}
