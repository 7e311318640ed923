package app

import (
	"context"
	"fmt"
	"time"

	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

// seedDemoOrders books a few orders for the demo people through the booking service, so their
// notifications and timelines exist: one open, one accepted for tomorrow, one completed. It does
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
	hour := a.Now().UTC().Truncate(time.Hour)
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
	// Completed: 林晓's appliance cleaning by 赵师傅, booked earlier and finished.
	done, err := a.Booking.Create(ctx, lin, booking.CreateInput{ServiceItemID: "appliance-cleaning", Address: "浦东新区 张杨路 500 号 12 楼",
		AppointmentAt: hour.Add(time.Hour), Requirements: "空调两台"})
	if err != nil {
		return fail("completed order", err)
	}
	for _, step := range []func(context.Context, booking.Actor, string) (model.Order, error){a.Booking.Accept, a.Booking.Start, a.Booking.Complete} {
		if _, err := step(ctx, zhao, done.ID); err != nil {
			return fail("complete", err)
		}
	}
	return nil
}
