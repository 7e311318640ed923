package planner

import (
	"testing"
	"time"
)

// FuzzPlan plans notifications for any receiving window, zone, category and moment: planning
// never panics; nothing is planned before now; an inbox entry is never delayed; and an off-app
// delivery held back by a valid window is sent when the window is open (or, for a service about
// to start, at once).
func FuzzPlan(f *testing.F) {
	f.Add("22:00", "07:00", "Asia/Shanghai", "service", int64(1764374400), int64(3600), "badge")
	f.Add("09:00", "09:00", "America/New_York", "platform", int64(1741503600), int64(0), "sound")
	f.Add("02:30", "03:00", "America/New_York", "interaction", int64(1741500000), int64(-60), "vibration")
	f.Add("24:00", "7", "Local", "nope", int64(-1), int64(1)<<40, "")
	f.Add("23:59", "00:00", "Australia/Lord_Howe", "exception", int64(1775318400), int64(600), "badge")
	f.Fuzz(func(t *testing.T, start, end, zone, category string, unix, startsIn int64, alert string) {
		now := time.Unix(unix%(1<<34), 0).UTC()
		w := ReceivingWindow{Start: start, End: end}
		p := Preferences{Window: &w, TimeZone: zone, Alert: AlertStyle(alert)}
		if p.Validate() != nil {
			// Invalid preferences never reach the planner from the API; it must still not panic.
			_ = PlanFor(Notification{Kind: "k", Category: Category(category)}, p, now)
			return
		}
		n := Notification{Kind: "k", Category: Category(category)}
		if startsIn != 0 {
			n.ServiceStartsAt = now.Add(time.Duration(startsIn%(30*24*3600)) * time.Second)
		}
		plan := PlanFor(n, p, now)
		if plan.Inbox.Send && !plan.Inbox.At.Equal(now) {
			t.Fatalf("inbox delayed to %s from %s", plan.Inbox.At, now)
		}
		if plan.Realtime.Send && !plan.Realtime.At.Equal(now) {
			t.Fatalf("realtime delayed to %s from %s", plan.Realtime.At, now)
		}
		off := plan.OffApp
		if !off.Send {
			return
		}
		if off.At.Before(now) {
			t.Fatalf("off-app planned at %s, before now %s", off.At, now)
		}
		if off.At.After(now.Add(4*24*time.Hour + 24*time.Hour)) {
			t.Fatalf("off-app planned at %s, more than five days after %s", off.At, now)
		}
		if off.At.After(now) && !w.Contains(off.At, p.location()) {
			t.Fatalf("off-app held to %s, when the window %s–%s in %s is closed", off.At, start, end, zone)
		}
	})
}
